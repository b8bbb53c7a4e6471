-- data.gtin_claims ---------------------------------------------------------------------------------
-- brand admins file claims (always pending: app.tg__gtin_claims_insert)
call app.brand_rls('data.gtin_claims', _select => null, _insert => 'admin');
-- members read their brand's claims; platform administrators read every brand's (the review queue)
create policy select_member on data.gtin_claims for select to authenticated
  using (brand_id = any ((select app.current_brand_ids())::uuid[]) or (select app.is_platform_admin()));
-- only platform administrators decide (and the row guards check the transition)
create policy update_platform_admin on data.gtin_claims for update to authenticated
  using ((select app.is_platform_admin())) with check ((select app.is_platform_admin()));

call app.attach_trigger('data.gtin_claims', '_100_gtin_claims_insert', 'before insert', 'app.tg__gtin_claims_insert');
call app.attach_trigger('data.gtin_claims', '_100_gtin_claims_guard', 'before update', 'app.tg__gtin_claims_guard');
call app.attach_trigger('data.gtin_claims', '_200_gtin_claims_decide', 'before update of status, decision_note', 'app.tg__gtin_claims_decide');

revoke all on data.gtin_claims from anon, authenticated, lotline_auth;
grant select on data.gtin_claims to authenticated;
grant insert (brand_id, kind, value, display_name, evidence), update (status, decision_note) on data.gtin_claims to authenticated;
-- the consumer view (app.public_view, a lotline_auth definer) finds verified owners: named columns only
grant select (brand_id, kind, value, status, display_name) on data.gtin_claims to lotline_auth;
