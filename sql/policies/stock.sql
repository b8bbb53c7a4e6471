-- Balances change only through the inventory definers (sql/app/70-inventory.sql), together with the ledger.
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
