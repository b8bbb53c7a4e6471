-- data.locations ----------------------------------------------------------------------------------
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

-- data.stock --------------------------------------------------------------------------------------
-- Balances change only through the inventory definers (stock-ledger.sql and the workflows beside it), together with the ledger.
alter table data.stock enable row level security;
alter table data.stock force row level security;
drop policy if exists select_member on data.stock;
create policy select_member on data.stock for select to authenticated
  using (brand_id = any ((select app.current_brand_ids())::uuid[]));

revoke all on data.stock from anon, authenticated, lotline_auth;
grant select on data.stock to authenticated;
grant select, insert, update on data.stock to lotline_auth;

-- What the inventory definers (owned by lotline_auth, BYPASSRLS) read or write in the core tables:
-- batches and products to validate lines and name batches in errors; the brand counters for TR-/IN- numbers.
grant select on data.batches, data.products to lotline_auth;
grant select, insert, update (value) on data.brand_counters to lotline_auth;

-- data.stock_movements ----------------------------------------------------------------------------
-- The stock ledger: appended only by the inventory definers, never updated or deleted (by anyone).
alter table data.stock_movements enable row level security;
alter table data.stock_movements force row level security;
drop policy if exists select_member on data.stock_movements;
create policy select_member on data.stock_movements for select to authenticated
  using (brand_id = any ((select app.current_brand_ids())::uuid[]));

drop trigger if exists _100_append_only on data.stock_movements;
create trigger _100_append_only before update or delete on data.stock_movements
  for each row execute function app.tg__append_only();
drop trigger if exists _100_append_only_truncate on data.stock_movements;
create trigger _100_append_only_truncate before truncate on data.stock_movements
  for each statement execute function app.tg__append_only();

revoke all on data.stock_movements from anon, authenticated, lotline_auth;
grant select on data.stock_movements to authenticated;
grant select, insert on data.stock_movements to lotline_auth;
grant usage on sequence data.stock_movements_id_seq to lotline_auth;

-- data.inbounds -----------------------------------------------------------------------------------
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

-- data.inbound_lines ------------------------------------------------------------------------------
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

-- data.transfers ----------------------------------------------------------------------------------
-- Transfer state changes only through the transfer definers (transfers.sql), with its stock.
alter table data.transfers enable row level security;
alter table data.transfers force row level security;
drop policy if exists select_member on data.transfers;
create policy select_member on data.transfers for select to authenticated
  using (brand_id = any ((select app.current_brand_ids())::uuid[]));

revoke all on data.transfers from anon, authenticated, lotline_auth;
grant select on data.transfers to authenticated;
grant select, insert, update on data.transfers to lotline_auth;

-- data.transfer_lines -----------------------------------------------------------------------------
-- Lines are replaced only by app.transfer_update while the transfer is pending, with the reservations.
alter table data.transfer_lines enable row level security;
alter table data.transfer_lines force row level security;
drop policy if exists select_member on data.transfer_lines;
create policy select_member on data.transfer_lines for select to authenticated
  using (brand_id = any ((select app.current_brand_ids())::uuid[]));

revoke all on data.transfer_lines from anon, authenticated, lotline_auth;
grant select on data.transfer_lines to authenticated;
grant select, insert, delete on data.transfer_lines to lotline_auth;
