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

-- data.batches ------------------------------------------------------------------------------------
alter table data.batches enable row level security;
alter table data.batches force row level security;
drop policy if exists select_member on data.batches;
create policy select_member on data.batches for select to authenticated
  using (brand_id = any ((select app.current_brand_ids())::uuid[]));
drop policy if exists insert_editor on data.batches;
create policy insert_editor on data.batches for insert to authenticated
  with check (brand_id = any ((select app.current_brand_ids('editor'))::uuid[]));
drop policy if exists update_editor on data.batches;
create policy update_editor on data.batches for update to authenticated
  using (brand_id = any ((select app.current_brand_ids('editor'))::uuid[]))
  with check (brand_id = any ((select app.current_brand_ids('editor'))::uuid[]));
drop policy if exists delete_admin on data.batches;
create policy delete_admin on data.batches for delete to authenticated
  using (brand_id = any ((select app.current_brand_ids('admin'))::uuid[]));

drop trigger if exists _100_touch_updated_at on data.batches;
create trigger _100_touch_updated_at before update on data.batches
  for each row execute function app.tg__touch_updated_at();

revoke all on data.batches from anon, authenticated;
grant select, delete on data.batches to authenticated;
grant insert (brand_id, id, product_id, batch_number, external_id, status, production_date, received_date, expiry_date,
              quantity, unit, facility_ref, attributes, created_by),
      update (batch_number, external_id, status, production_date, received_date, expiry_date, quantity, unit,
              facility_ref, attributes, recall_message, archived_at)
   on data.batches to authenticated;
