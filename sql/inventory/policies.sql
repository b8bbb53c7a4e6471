-- data.locations ----------------------------------------------------------------------------------
call app.brand_rls('data.locations', _insert => 'editor', _update => 'editor');

call app.attach_trigger('data.locations', '_100_touch_updated_at', 'before update', 'app.tg__touch_updated_at');
-- archived locations do not change (sql/inventory/locations.sql); created_by is the acting user
call app.attach_trigger('data.locations', '_050_locations_guard', 'before update', 'app.tg__locations_guard');
call app.attach_trigger('data.locations', '_040_created_by', 'before insert or update', 'app.tg__stamp_created_by');

-- no delete: a location with history is archived (api.archive_location), never removed
revoke all on data.locations from anon, authenticated, lotline_auth;
grant select on data.locations to authenticated;
-- archived_at only through api.archive_location (app.location_archive checks the location is empty)
grant insert (brand_id, id, name, kind, note, created_by), update (name, kind, note) on data.locations to authenticated;
-- the inventory definers read locations, lock them (FOR SHARE / FOR UPDATE need an UPDATE privilege) and archive them
grant select, update (updated_at, archived_at) on data.locations to lotline_auth;

-- data.stock --------------------------------------------------------------------------------------
-- Balances change only through the inventory definers (stock-ledger.sql and the workflows beside it), together with the ledger.
call app.brand_rls('data.stock');

revoke all on data.stock from anon, authenticated, lotline_auth;
grant select on data.stock to authenticated;
grant select, insert, update on data.stock to lotline_auth;

-- What the inventory definers (owned by lotline_auth, BYPASSRLS) read or write in the core tables:
-- batches and products to validate lines and name batches in errors; the brand counters for TR-/IN- numbers.
grant select on data.batches, data.products to lotline_auth;
-- app.assert_stock_usable locks batch rows FOR SHARE, which needs an UPDATE privilege on some column
grant update (status) on data.batches to lotline_auth;
grant select, insert, update (value) on data.brand_counters to lotline_auth;

-- data.stock_movements ----------------------------------------------------------------------------
-- The stock ledger: appended only by the inventory definers, never updated or deleted (by anyone).
call app.brand_rls('data.stock_movements');

call app.attach_append_only('data.stock_movements');

revoke all on data.stock_movements from anon, authenticated, lotline_auth;
grant select on data.stock_movements to authenticated;
grant select, insert on data.stock_movements to lotline_auth;
grant usage on sequence data.stock_movements_id_seq to lotline_auth;

-- data.inbounds -----------------------------------------------------------------------------------
-- Inbound receipts are written only by app.inventory_receive (with their stock), and never changed.
call app.brand_rls('data.inbounds');

call app.attach_trigger('data.inbounds', '_100_append_only', 'before update or delete', 'app.tg__append_only');

revoke all on data.inbounds from anon, authenticated, lotline_auth;
grant select on data.inbounds to authenticated;
grant select, insert on data.inbounds to lotline_auth;

-- data.inbound_lines ------------------------------------------------------------------------------
call app.brand_rls('data.inbound_lines');

call app.attach_trigger('data.inbound_lines', '_100_append_only', 'before update or delete', 'app.tg__append_only');

revoke all on data.inbound_lines from anon, authenticated, lotline_auth;
grant select on data.inbound_lines to authenticated;
grant select, insert on data.inbound_lines to lotline_auth;

-- data.transfers ----------------------------------------------------------------------------------
-- Transfer state changes only through the transfer definers (transfers.sql), with its stock.
call app.brand_rls('data.transfers');

revoke all on data.transfers from anon, authenticated, lotline_auth;
grant select on data.transfers to authenticated;
grant select, insert, update on data.transfers to lotline_auth;

-- data.transfer_lines -----------------------------------------------------------------------------
-- Lines are replaced only by app.transfer_update while the transfer is pending, with the reservations.
call app.brand_rls('data.transfer_lines');

revoke all on data.transfer_lines from anon, authenticated, lotline_auth;
grant select on data.transfer_lines to authenticated;
grant select, insert, delete on data.transfer_lines to lotline_auth;
