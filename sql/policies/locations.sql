alter table data.locations enable row level security;
alter table data.locations force row level security;
drop policy if exists select_member on data.locations;
create policy select_member on data.locations for select to authenticated
  using (brand_id = any ((select app.current_brand_ids())::uuid[]));
drop policy if exists insert_editor on data.locations;
create policy insert_editor on data.locations for insert to authenticated
  with check (brand_id = any ((select app.current_brand_ids('editor'))::uuid[]));
drop policy if exists update_editor on data.locations;
create policy update_editor on data.locations for update to authenticated
  using (brand_id = any ((select app.current_brand_ids('editor'))::uuid[]))
  with check (brand_id = any ((select app.current_brand_ids('editor'))::uuid[]));

drop trigger if exists _100_touch_updated_at on data.locations;
create trigger _100_touch_updated_at before update on data.locations
  for each row execute function app.tg__touch_updated_at();

-- no delete: a location with history is archived (api.archive_location), never removed
revoke all on data.locations from anon, authenticated, lotline_auth;
grant select on data.locations to authenticated;
-- archived_at only through api.archive_location (app.location_archive checks the location is empty)
grant insert (brand_id, id, name, kind, note, created_by), update (name, kind, note) on data.locations to authenticated;
-- the inventory definers read locations, lock them (FOR SHARE / FOR UPDATE need an UPDATE privilege) and archive them
grant select, update (updated_at, archived_at) on data.locations to lotline_auth;
