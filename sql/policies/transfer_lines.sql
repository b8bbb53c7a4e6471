-- Lines are replaced only by app.transfer_update while the transfer is pending, with the reservations.
alter table data.transfer_lines enable row level security;
alter table data.transfer_lines force row level security;
drop policy if exists select_member on data.transfer_lines;
create policy select_member on data.transfer_lines for select to authenticated
  using (brand_id = any ((select app.current_brand_ids())::uuid[]));

revoke all on data.transfer_lines from anon, authenticated, lotline_auth;
grant select on data.transfer_lines to authenticated;
grant select, insert, delete on data.transfer_lines to lotline_auth;
