-- data.products -----------------------------------------------------------------------------------
alter table data.products enable row level security;
alter table data.products force row level security;
drop policy if exists select_member on data.products;
create policy select_member on data.products for select to authenticated
  using (brand_id = any ((select app.current_brand_ids())::uuid[]));
drop policy if exists insert_editor on data.products;
create policy insert_editor on data.products for insert to authenticated
  with check (brand_id = any ((select app.current_brand_ids('editor'))::uuid[]));
drop policy if exists update_editor on data.products;
create policy update_editor on data.products for update to authenticated
  using (brand_id = any ((select app.current_brand_ids('editor'))::uuid[]))
  with check (brand_id = any ((select app.current_brand_ids('editor'))::uuid[]));
drop policy if exists delete_admin on data.products;
create policy delete_admin on data.products for delete to authenticated
  using (brand_id = any ((select app.current_brand_ids('admin'))::uuid[]));

drop trigger if exists _100_touch_updated_at on data.products;
create trigger _100_touch_updated_at before update on data.products
  for each row execute function app.tg__touch_updated_at();

revoke all on data.products from anon, authenticated;
grant select, delete on data.products to authenticated;
grant insert (brand_id, id, external_id, supplier_id, name, gtin, sku, ean, article_code, unit, expirable, serialized, attributes),
      update (external_id, supplier_id, name, gtin, sku, ean, article_code, unit, expirable, serialized, attributes, archived_at)
   on data.products to authenticated;

-- archived products are final, and take no new batches (app.tg__* in products.sql; docs/products.md)
drop trigger if exists _100_archived_is_final on data.products;
create trigger _100_archived_is_final before update on data.products
  for each row execute function app.tg__product_archived_is_final();
drop trigger if exists _300_product_not_archived on data.batches;
create trigger _300_product_not_archived after insert on data.batches
  referencing new table as new_rows
  for each statement execute function app.tg__batches_of_live_products();
