-- data.brands -------------------------------------------------------------------------------------
alter table data.brands enable row level security;
alter table data.brands force row level security;
drop policy if exists select_member on data.brands;
create policy select_member on data.brands for select to authenticated
  using (id = any ((select app.current_brand_ids())::uuid[]));
drop policy if exists update_owner on data.brands;
create policy update_owner on data.brands for update to authenticated
  using (id = any ((select app.current_brand_ids('owner'))::uuid[]))
  with check (id = any ((select app.current_brand_ids('owner'))::uuid[]));
-- lotline_auth (BYPASSRLS, owner of the membership helpers) needs no policy, only the grants below.

revoke all on data.brands from anon, authenticated, lotline_auth;
grant select on data.brands to authenticated;
grant update (name) on data.brands to authenticated;
grant select, insert on data.brands to lotline_auth;

drop trigger if exists _100_touch_updated_at on data.brands;
create trigger _100_touch_updated_at before update on data.brands
  for each row execute function app.tg__touch_updated_at();

-- data.brand_members ------------------------------------------------------------------------------
alter table data.brand_members enable row level security;
alter table data.brand_members force row level security;
drop policy if exists select_member on data.brand_members;
create policy select_member on data.brand_members for select to authenticated
  using (brand_id = any ((select app.current_brand_ids())::uuid[]));
-- admins add and change members up to admin; only owners grant owner (app.can_grant)
drop policy if exists insert_admin on data.brand_members;
create policy insert_admin on data.brand_members for insert to authenticated
  with check (brand_id = any ((select app.current_brand_ids('admin'))::uuid[]) and app.can_grant(brand_id, role));
drop policy if exists update_admin on data.brand_members;
create policy update_admin on data.brand_members for update to authenticated
  using (brand_id = any ((select app.current_brand_ids('admin'))::uuid[]) and app.can_grant(brand_id, role))
  with check (brand_id = any ((select app.current_brand_ids('admin'))::uuid[]) and app.can_grant(brand_id, role));
drop policy if exists delete_admin on data.brand_members;
create policy delete_admin on data.brand_members for delete to authenticated
  using (brand_id = any ((select app.current_brand_ids('admin'))::uuid[]) and app.can_grant(brand_id, role));
-- lotline_auth (BYPASSRLS, owner of the membership helpers) needs no policy, only the grants below.

revoke all on data.brand_members from anon, authenticated, lotline_auth;
grant select, delete on data.brand_members to authenticated;
grant insert (brand_id, user_id, role), update (role) on data.brand_members to authenticated;
grant select, insert on data.brand_members to lotline_auth;

-- data.brand_counters -----------------------------------------------------------------------------
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
