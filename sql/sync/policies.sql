-- data.suppliers ----------------------------------------------------------------------------------
call app.brand_rls('data.suppliers', _insert => 'editor', _update => 'editor', _delete => 'admin');

call app.attach_trigger('data.suppliers', '_100_touch_updated_at', 'before update', 'app.tg__touch_updated_at');

revoke all on data.suppliers from anon, authenticated;
grant select, delete on data.suppliers to authenticated;
grant insert (brand_id, id, external_id, name, country, address, email, attributes),
      update (external_id, name, country, address, email, attributes) on data.suppliers to authenticated;

-- data.due_diligence_statements -------------------------------------------------------------------
-- Due-diligence statements (EUDR): readable by brand members; written only through functions
-- (app.sync_create_draft_dds and the lifecycle definers, owned by lotline_auth), so authenticated gets no
-- write grant; the lifecycle trigger holds for every writer.
call app.brand_rls('data.due_diligence_statements');

call app.attach_trigger('data.due_diligence_statements', '_100_lifecycle', 'before insert or update', 'app.tg__dds_lifecycle');
call app.attach_trigger('data.due_diligence_statements', '_100_touch_updated_at', 'before update', 'app.tg__touch_updated_at');

revoke all on data.due_diligence_statements from anon, authenticated;
grant select on data.due_diligence_statements to authenticated;
-- the definers (BYPASSRLS) draft, and change statements along the lifecycle (sql/sync/due-diligence*.sql)
grant select, insert (brand_id, id, batch_id, status, source, created_by),
      update (status, reference_number, verification_number, activity_type, hs_code, description, net_mass_kg,
              country_of_production, geolocation, submitted_at, submitted_by, decided_at, decided_by, decision_reason)
   on data.due_diligence_statements to lotline_auth;
