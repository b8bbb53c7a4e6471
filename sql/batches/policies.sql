-- Row security, privileges and triggers of products and batches (app.brand_rls: sql/core/rls.sql).
-- Members read, editors create and change, admins delete.

call app.brand_rls('data.products', _insert => 'editor', _update => 'editor', _delete => 'admin');
call app.attach_trigger('data.products', '_100_touch_updated_at', 'before update', 'app.tg__touch_updated_at');
revoke all on data.products from anon, authenticated;
grant select, delete,
      insert (brand_id, id, external_id, supplier_id, name, gtin, sku, ean, article_code, unit, expirable, serialized, attributes),
      update (external_id, supplier_id, name, gtin, sku, ean, article_code, unit, expirable, serialized, attributes, archived_at)
   on data.products to authenticated;

call app.brand_rls('data.batches', _insert => 'editor', _update => 'editor', _delete => 'admin');
call app.attach_trigger('data.batches', '_100_touch_updated_at', 'before update', 'app.tg__touch_updated_at');
revoke all on data.batches from anon, authenticated;
grant select, delete,
      insert (brand_id, id, product_id, batch_number, external_id, status, production_date, received_date, expiry_date,
              quantity, unit, facility_ref, attributes, created_by),
      update (batch_number, external_id, status, production_date, received_date, expiry_date, quantity, unit,
              facility_ref, attributes, recall_message, archived_at)
   on data.batches to authenticated;
