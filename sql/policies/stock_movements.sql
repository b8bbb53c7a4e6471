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
