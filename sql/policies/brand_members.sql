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
