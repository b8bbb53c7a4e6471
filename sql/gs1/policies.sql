-- data.gtin_claims ---------------------------------------------------------------------------------
alter table data.gtin_claims enable row level security;
alter table data.gtin_claims force row level security;
-- members read their brand's claims; platform administrators read every brand's (the review queue)
drop policy if exists select_member on data.gtin_claims;
create policy select_member on data.gtin_claims for select to authenticated
  using (brand_id = any ((select app.current_brand_ids())::uuid[]) or (select app.is_platform_admin()));
-- brand admins file claims (always pending: app.tg__gtin_claims_insert)
drop policy if exists insert_admin on data.gtin_claims;
create policy insert_admin on data.gtin_claims for insert to authenticated
  with check (brand_id = any ((select app.current_brand_ids('admin'))::uuid[]));
-- only platform administrators decide (and the row guards check the transition)
drop policy if exists update_platform_admin on data.gtin_claims;
create policy update_platform_admin on data.gtin_claims for update to authenticated
  using ((select app.is_platform_admin())) with check ((select app.is_platform_admin()));

drop trigger if exists _100_gtin_claims_insert on data.gtin_claims;
create trigger _100_gtin_claims_insert before insert on data.gtin_claims
  for each row execute function app.tg__gtin_claims_insert();
drop trigger if exists _100_gtin_claims_guard on data.gtin_claims;
create trigger _100_gtin_claims_guard before update on data.gtin_claims
  for each row execute function app.tg__gtin_claims_guard();
drop trigger if exists _200_gtin_claims_decide on data.gtin_claims;
create trigger _200_gtin_claims_decide before update of status, decision_note on data.gtin_claims
  for each row execute function app.tg__gtin_claims_decide();

revoke all on data.gtin_claims from anon, authenticated, lotline_auth;
grant select on data.gtin_claims to authenticated;
grant insert (brand_id, kind, value, display_name, evidence), update (status, decision_note) on data.gtin_claims to authenticated;
-- the consumer view (app.public_view, a lotline_auth definer) finds verified owners: named columns only
grant select (brand_id, kind, value, status, display_name) on data.gtin_claims to lotline_auth;
