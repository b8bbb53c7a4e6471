-- Row security, privileges and triggers of serial numbers (app.brand_rls: sql/core/rls.sql).

-- data.serials: members read them. No write policy: serials are written only by app.serials_insert /
-- app.serials_void (SECURITY DEFINER, owned by lotline_auth, BYPASSRLS), which check role and scope themselves.
call app.brand_rls('data.serials');
call app.attach_trigger('data.serials', '_100_serials_guard', 'before update', 'app.tg__serials_guard');
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

-- data.serial_formats ------------------------------------------------------------------------------
alter table data.serial_formats enable row level security;
alter table data.serial_formats force row level security;
drop policy if exists select_member on data.serial_formats;
create policy select_member on data.serial_formats for select to authenticated
  using (brand_id = any ((select app.current_brand_ids())::uuid[]));
drop policy if exists insert_admin on data.serial_formats;
create policy insert_admin on data.serial_formats for insert to authenticated
  with check (brand_id = any ((select app.current_brand_ids('admin'))::uuid[]));
drop policy if exists update_admin on data.serial_formats;
create policy update_admin on data.serial_formats for update to authenticated
  using (brand_id = any ((select app.current_brand_ids('admin'))::uuid[]))
  with check (brand_id = any ((select app.current_brand_ids('admin'))::uuid[]));
drop trigger if exists _100_serial_formats_stamp on data.serial_formats;
create trigger _100_serial_formats_stamp before insert or update on data.serial_formats
  for each row execute function app.tg__serial_formats_stamp();
revoke all on data.serial_formats from anon, authenticated, lotline_auth;
grant select, insert (brand_id, scheme, alphabet, length), update (scheme, alphabet, length) on data.serial_formats to authenticated;
grant select on data.serial_formats to lotline_auth;

-- data.mint_jobs ---------------------------------------------------------------------------------------
alter table data.mint_jobs enable row level security;
alter table data.mint_jobs force row level security;
drop policy if exists select_member on data.mint_jobs;
create policy select_member on data.mint_jobs for select to authenticated
  using (brand_id = any ((select app.current_brand_ids())::uuid[]));
-- No write policy: jobs are written only by app.mint_job_create and app.mint_job_step (lotline_auth definers).
revoke all on data.mint_jobs from anon, authenticated, lotline_auth;
grant select on data.mint_jobs to authenticated;
grant select, insert, update on data.mint_jobs to lotline_auth;
