-- Row security, privileges and triggers of the inventory tables (app.brand_rls: sql/core/rls.sql).
-- Members read everything. Stock, the ledger, receipts and transfers change only through the inventory
-- definers (owned by lotline_auth, BYPASSRLS: stock-ledger.sql and the workflows beside it), so
-- authenticated has no write grant on them: no balance changes without its ledger row.

-- data.locations: editors create and rename; no delete (a location with history is archived, never
-- removed); archived_at only through api.archive_location (app.location_archive checks it is empty).
call app.brand_rls('data.locations', _insert => 'editor', _update => 'editor');
call app.attach_trigger('data.locations', '_100_touch_updated_at', 'before update', 'app.tg__touch_updated_at');
revoke all on data.locations from anon, authenticated, lotline_auth;
grant select, insert (brand_id, id, name, kind, note, created_by), update (name, kind, note) on data.locations to authenticated;
-- the definers read locations, lock them (FOR SHARE / FOR UPDATE need an UPDATE privilege) and archive them
grant select, update (updated_at, archived_at) on data.locations to lotline_auth;

-- data.stock: the balances, changed together with the ledger.
call app.brand_rls('data.stock');
revoke all on data.stock from anon, authenticated, lotline_auth;
grant select on data.stock to authenticated;
grant select, insert, update on data.stock to lotline_auth;

-- data.stock_movements: the stock ledger, appended to and never updated, deleted or truncated (by anyone).
call app.brand_rls('data.stock_movements');
call app.attach_trigger('data.stock_movements', '_100_append_only', 'before update or delete', 'app.tg__append_only');
call app.attach_trigger('data.stock_movements', '_100_append_only_truncate', 'before truncate', 'app.tg__append_only', 'statement');
revoke all on data.stock_movements from anon, authenticated, lotline_auth;
grant select on data.stock_movements to authenticated;
grant select, insert on data.stock_movements to lotline_auth;
grant usage on sequence data.stock_movements_id_seq to lotline_auth;

-- data.inbounds, data.inbound_lines: receipts, written only by app.inventory_receive (with their stock),
-- never changed.
call app.brand_rls('data.inbounds');
call app.brand_rls('data.inbound_lines');
call app.attach_trigger('data.inbounds', '_100_append_only', 'before update or delete', 'app.tg__append_only');
call app.attach_trigger('data.inbound_lines', '_100_append_only', 'before update or delete', 'app.tg__append_only');
revoke all on data.inbounds, data.inbound_lines from anon, authenticated, lotline_auth;
grant select on data.inbounds, data.inbound_lines to authenticated;
grant select, insert on data.inbounds, data.inbound_lines to lotline_auth;

-- data.transfers, data.transfer_lines: a transfer's state changes only through the transfer definers
-- (transfers.sql), with its stock; its lines are replaced only while it is pending, with the reservations.
call app.brand_rls('data.transfers');
call app.brand_rls('data.transfer_lines');
revoke all on data.transfers, data.transfer_lines from anon, authenticated, lotline_auth;
grant select on data.transfers, data.transfer_lines to authenticated;
grant select, insert, update on data.transfers to lotline_auth;
grant select, insert, delete on data.transfer_lines to lotline_auth;

-- What the definers read or write in other domains' tables: batches and products to validate lines and
-- name batches in errors; the brand counters for TR-/IN- numbers.
grant select on data.batches, data.products to lotline_auth;
grant select, insert, update (value) on data.brand_counters to lotline_auth;
