-- Transfer state changes only through the transfer definers (sql/app/70-inventory.sql), with its stock.
alter table data.transfers enable row level security;
alter table data.transfers force row level security;
drop policy if exists select_member on data.transfers;
create policy select_member on data.transfers for select to authenticated
  using (brand_id = any ((select app.current_brand_ids())::uuid[]));

revoke all on data.transfers from anon, authenticated, lotline_auth;
grant select on data.transfers to authenticated;
grant select, insert, update on data.transfers to lotline_auth;
