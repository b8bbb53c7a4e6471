-- Inbound receipts are written only by app.inventory_receive (with their stock), and never changed.
alter table data.inbounds enable row level security;
alter table data.inbounds force row level security;
drop policy if exists select_member on data.inbounds;
create policy select_member on data.inbounds for select to authenticated
  using (brand_id = any ((select app.current_brand_ids())::uuid[]));

drop trigger if exists _100_append_only on data.inbounds;
create trigger _100_append_only before update or delete on data.inbounds
  for each row execute function app.tg__append_only();

revoke all on data.inbounds from anon, authenticated, lotline_auth;
grant select on data.inbounds to authenticated;
grant select, insert on data.inbounds to lotline_auth;
