-- data.serial_usage ---------------------------------------------------------------------------------
call app.brand_rls('data.serial_usage');
-- No write policy: usage is counted only by app.charge_serials, called from the serial definers (lotline_auth).
revoke all on data.serial_usage from anon, authenticated, lotline_auth;
grant select on data.serial_usage to authenticated;
grant select, insert, update (serials) on data.serial_usage to lotline_auth;

-- data.brands: the brands-per-user quota (the table's other rules: sql/tenancy/policies.sql)
call app.attach_trigger('data.brands', '_050_brands_quota', 'before insert', 'app.tg__brands_quota');
