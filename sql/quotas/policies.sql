-- data.serial_usage ---------------------------------------------------------------------------------
alter table data.serial_usage enable row level security;
alter table data.serial_usage force row level security;
drop policy if exists select_member on data.serial_usage;
create policy select_member on data.serial_usage for select to authenticated
  using (brand_id = any ((select app.current_brand_ids())::uuid[]));
-- No write policy: usage is counted only by app.charge_serials, called from the serial definers (lotline_auth).
revoke all on data.serial_usage from anon, authenticated, lotline_auth;
grant select on data.serial_usage to authenticated;
grant select, insert, update (serials) on data.serial_usage to lotline_auth;

-- data.brands: the brands-per-user quota (the table's other rules: sql/tenancy/policies.sql)
drop trigger if exists _050_brands_quota on data.brands;
create trigger _050_brands_quota before insert on data.brands
  for each row execute function app.tg__brands_quota();
