-- Row security, privileges and triggers of serial numbers (app.brand_rls: sql/core/rls.sql; app.attach_trigger: sql/core/triggers.sql).

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
call app.brand_rls('data.serial_formats', _insert => 'admin', _update => 'admin');
call app.attach_trigger('data.serial_formats', '_100_serial_formats_stamp', 'before insert or update', 'app.tg__serial_formats_stamp');
revoke all on data.serial_formats from anon, authenticated, lotline_auth;
grant select, insert (brand_id, scheme, alphabet, length), update (scheme, alphabet, length) on data.serial_formats to authenticated;
grant select on data.serial_formats to lotline_auth;

-- data.mint_jobs ---------------------------------------------------------------------------------------
call app.brand_rls('data.mint_jobs');
-- No write policy: jobs are written only by app.mint_job_create and app.mint_job_step (lotline_auth definers).
revoke all on data.mint_jobs from anon, authenticated, lotline_auth;
grant select on data.mint_jobs to authenticated;
grant select, insert, update on data.mint_jobs to lotline_auth;
