-- Platform settings: integers read from database-level settings lotline.<name>, which migrate sets from the
-- environment (docs/quotas.md); unset or malformed → the default here. The one list of names and defaults.
create or replace function app.setting(_name text)
returns bigint
language plpgsql stable security invoker set search_path = ''
as $$
declare
  v_default bigint := case _name
    when 'mint_job_threshold'    then 10000     -- mint_serials above this many serials runs as a job
    when 'mint_job_chunk'        then 5000      -- serials a job worker mints per transaction
    when 'quota_serials_per_day' then 2000000   -- serials a brand may mint, queue or import per UTC day (≤ 0: no limit)
    when 'quota_brands_per_user' then 25        -- brands one user may create (≤ 0: no limit)
  end;
  v_text text := pg_catalog.current_setting('lotline.' || _name, true);
begin
  if v_default is null then
    raise exception 'app.setting: unknown setting %', _name;
  end if;
  return case when v_text ~ '^\s*-?[0-9]{1,18}\s*$' then btrim(v_text)::bigint else v_default end;
end
$$;
comment on function app.setting(text) is
  'A platform setting: lotline.<name> (set by migrate from LOTLINE_<NAME>, or ALTER DATABASE … SET), else its default.';
grant execute on function app.setting(text) to authenticated, lotline_auth;
