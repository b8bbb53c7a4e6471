alter table data.brand_counters enable row level security;
alter table data.brand_counters force row level security;
drop policy if exists select_member on data.brand_counters;
create policy select_member on data.brand_counters for select to authenticated
  using (brand_id = any ((select app.current_brand_ids())::uuid[]));
drop policy if exists insert_editor on data.brand_counters;
create policy insert_editor on data.brand_counters for insert to authenticated
  with check (brand_id = any ((select app.current_brand_ids('editor'))::uuid[]));
drop policy if exists update_editor on data.brand_counters;
create policy update_editor on data.brand_counters for update to authenticated
  using (brand_id = any ((select app.current_brand_ids('editor'))::uuid[]))
  with check (brand_id = any ((select app.current_brand_ids('editor'))::uuid[]));
revoke all on data.brand_counters from anon, authenticated;
grant select, insert (brand_id, name, value), update (value) on data.brand_counters to authenticated;
