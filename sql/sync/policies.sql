-- data.suppliers ----------------------------------------------------------------------------------
alter table data.suppliers enable row level security;
alter table data.suppliers force row level security;
drop policy if exists select_member on data.suppliers;
create policy select_member on data.suppliers for select to authenticated
  using (brand_id = any ((select app.current_brand_ids())::uuid[]));
drop policy if exists insert_editor on data.suppliers;
create policy insert_editor on data.suppliers for insert to authenticated
  with check (brand_id = any ((select app.current_brand_ids('editor'))::uuid[]));
drop policy if exists update_editor on data.suppliers;
create policy update_editor on data.suppliers for update to authenticated
  using (brand_id = any ((select app.current_brand_ids('editor'))::uuid[]))
  with check (brand_id = any ((select app.current_brand_ids('editor'))::uuid[]));
drop policy if exists delete_admin on data.suppliers;
create policy delete_admin on data.suppliers for delete to authenticated
  using (brand_id = any ((select app.current_brand_ids('admin'))::uuid[]));

drop trigger if exists _100_touch_updated_at on data.suppliers;
create trigger _100_touch_updated_at before update on data.suppliers
  for each row execute function app.tg__touch_updated_at();

revoke all on data.suppliers from anon, authenticated;
grant select, delete on data.suppliers to authenticated;
grant insert (brand_id, id, external_id, name, country, address, email, attributes),
      update (external_id, name, country, address, email, attributes) on data.suppliers to authenticated;

-- data.due_diligence_statements -------------------------------------------------------------------
-- Due-diligence statements (EUDR): readable by brand members; written only through functions
-- (app.sync_create_draft_dds, a lotline_auth definer), so authenticated gets no write grant.
alter table data.due_diligence_statements enable row level security;
alter table data.due_diligence_statements force row level security;
drop policy if exists select_member on data.due_diligence_statements;
create policy select_member on data.due_diligence_statements for select to authenticated
  using (brand_id = any ((select app.current_brand_ids())::uuid[]));

drop trigger if exists _100_touch_updated_at on data.due_diligence_statements;
create trigger _100_touch_updated_at before update on data.due_diligence_statements
  for each row execute function app.tg__touch_updated_at();

revoke all on data.due_diligence_statements from anon, authenticated;
grant select on data.due_diligence_statements to authenticated;
-- the drafting definer (BYPASSRLS) inserts and reads back what it inserted
grant select, insert (brand_id, id, batch_id, status, source, created_by) on data.due_diligence_statements to lotline_auth;
