-- data.products -----------------------------------------------------------------------------------
call app.brand_rls('data.products', _insert => 'editor', _update => 'editor', _delete => 'admin');

call app.attach_trigger('data.products', '_100_touch_updated_at', 'before update', 'app.tg__touch_updated_at');

revoke all on data.products from anon, authenticated;
grant select, delete on data.products to authenticated;
grant insert (brand_id, id, external_id, supplier_id, name, gtin, sku, ean, article_code, unit, expirable, serialized, attributes),
      update (external_id, supplier_id, name, gtin, sku, ean, article_code, unit, expirable, serialized, attributes, archived_at)
   on data.products to authenticated;

-- archived products are final, and take no new batches (app.tg__* in products.sql; docs/products.md)
call app.attach_trigger('data.products', '_100_archived_is_final', 'before update', 'app.tg__product_archived_is_final');
call app.attach_trigger('data.batches', '_300_product_not_archived', 'after insert', 'app.tg__batches_of_live_products',
                         'statement', 'new table as new_rows');
