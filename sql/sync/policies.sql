-- Row security, privileges and triggers of the sync tables (app.brand_rls: sql/core/rls.sql).

-- data.suppliers: members read, editors create and change, admins delete.
call app.brand_rls('data.suppliers', _insert => 'editor', _update => 'editor', _delete => 'admin');
call app.attach_trigger('data.suppliers', '_100_touch_updated_at', 'before update', 'app.tg__touch_updated_at');
revoke all on data.suppliers from anon, authenticated;
grant select, delete, insert (brand_id, id, external_id, name, country, address, email, attributes),
      update (external_id, name, country, address, email, attributes) on data.suppliers to authenticated;

-- data.due_diligence_statements (EUDR): members read them; written only through functions
-- (app.sync_create_draft_dds, a lotline_auth definer), so authenticated gets no write grant.
call app.brand_rls('data.due_diligence_statements');
call app.attach_trigger('data.due_diligence_statements', '_100_touch_updated_at', 'before update', 'app.tg__touch_updated_at');
revoke all on data.due_diligence_statements from anon, authenticated;
grant select on data.due_diligence_statements to authenticated;
-- the drafting definer (BYPASSRLS) inserts and reads back what it inserted
grant select, insert (brand_id, id, batch_id, status, source, created_by) on data.due_diligence_statements to lotline_auth;
