alter table data.inbound_lines enable row level security;
alter table data.inbound_lines force row level security;
drop policy if exists select_member on data.inbound_lines;
create policy select_member on data.inbound_lines for select to authenticated
  using (brand_id = any ((select app.current_brand_ids())::uuid[]));

drop trigger if exists _100_append_only on data.inbound_lines;
create trigger _100_append_only before update or delete on data.inbound_lines
  for each row execute function app.tg__append_only();

revoke all on data.inbound_lines from anon, authenticated, lotline_auth;
grant select on data.inbound_lines to authenticated;
grant select, insert on data.inbound_lines to lotline_auth;
