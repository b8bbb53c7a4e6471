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
