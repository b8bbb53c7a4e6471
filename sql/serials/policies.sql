-- data.serials ------------------------------------------------------------------------------------
alter table data.serials enable row level security;
alter table data.serials force row level security;
drop policy if exists select_member on data.serials;
create policy select_member on data.serials for select to authenticated
  using (brand_id = any ((select app.current_brand_ids())::uuid[]));
-- No write policy: serials are written only by app.serials_insert / app.serials_void (SECURITY DEFINER,
-- owned by lotline_auth, BYPASSRLS), which check role and scope themselves.

drop trigger if exists _100_serials_guard on data.serials;
create trigger _100_serials_guard before update on data.serials
  for each row execute function app.tg__serials_guard();

revoke all on data.serials from anon, authenticated, lotline_auth;
grant select on data.serials to authenticated;
grant select,
      insert (brand_id, batch_id, seq, serial_number, code, source, created_by),
      update (status, void_reason, voided_at, voided_by, updated_at)
   on data.serials to lotline_auth;
-- What the lotline_auth definers (minting checks, consumer view) read elsewhere: named columns only,
-- so a consumer-facing definer cannot even reach a quantity. (data.brands: granted in sql/tenancy/policies.sql.)
grant select (brand_id, id, product_id, batch_number, status, production_date, expiry_date, recall_message,
              public_id, created_at)
   on data.batches to lotline_auth;
grant select (brand_id, id, name, gtin, serialized, created_at) on data.products to lotline_auth;
