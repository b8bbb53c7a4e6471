-- Quotas: serials per brand and UTC day, brands per user. Exceeding one is 429 (PT429, docs/errors.md).

-- Serials a brand has minted, queued or imported today (UTC).
create or replace function app.serials_used_today(_brand_id uuid)
returns bigint
language sql stable security invoker set search_path = ''
as $$
  select coalesce((select u.serials from data.serial_usage u
                    where u.brand_id = _brand_id and u.day = (now() at time zone 'utc')::date), 0)
$$;

create or replace function app.raise_serial_quota(_used bigint, _requested bigint, _limit bigint, _field text)
returns void
language sql volatile security invoker set search_path = ''
as $$
  select app.raise('PT429',
    format('Quota reached: a brand may create at most %s serials per day (UTC); %s used today, %s requested', _limit, _used, _requested),
    jsonb_build_object('field', _field, 'rule', 'quota', 'quota', 'serials_per_day', 'limit', _limit, 'used', _used,
                       'requested', _requested, 'resets_at', (date_trunc('day', now() at time zone 'utc') + interval '1 day') at time zone 'utc'),
    'The quota resets at 00:00 UTC; the platform operator sets it (LOTLINE_QUOTA_SERIALS_PER_DAY)')
$$;

-- Fail fast (429) when _n more serials would exceed today's quota. Reads only: app.charge_serials is the
-- authoritative check at the end of the write.
create or replace function app.check_serial_quota(_brand_id uuid, _n bigint, _field text)
returns void
language plpgsql stable security invoker set search_path = ''
as $$
declare
  v_limit bigint := app.setting('quota_serials_per_day');
  v_used  bigint;
begin
  if v_limit > 0 then
    v_used := app.serials_used_today(_brand_id);
    if v_used + _n > v_limit then perform app.raise_serial_quota(v_used, _n, v_limit, _field); end if;
  end if;
end
$$;

-- Count _n serials against today's quota; 429 (rolling the write back) when that exceeds it. Called last in
-- the writing transaction, so the usage row stays locked only until its commit.
create or replace function app.charge_serials(_brand_id uuid, _n bigint, _field text)
returns void
language plpgsql volatile security invoker set search_path = ''
as $$
declare
  v_limit bigint := app.setting('quota_serials_per_day');
  v_used  bigint;
begin
  insert into data.serial_usage as u (brand_id, day, serials) values (_brand_id, (now() at time zone 'utc')::date, _n)
  on conflict (brand_id, day) do update set serials = u.serials + excluded.serials
  returning u.serials into v_used;
  if v_limit > 0 and v_used > v_limit then
    perform app.raise_serial_quota(v_used - _n, _n, v_limit, _field);
  end if;
end
$$;

-- Row guard on data.brands: one user creates at most quota_brands_per_user brands (429), whoever inserts.
-- Definer (lotline_auth, BYPASSRLS): the count covers brands the creator no longer belongs to.
create or replace function app.tg__brands_quota()
returns trigger
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_limit bigint := app.setting('quota_brands_per_user');
  v_count bigint;
begin
  if v_limit > 0 then
    -- one creation per user at a time, so parallel calls cannot both pass the count
    perform pg_advisory_xact_lock(hashtextextended('lotline.brands_quota:' || new.created_by, 0));
    select count(*) into v_count from data.brands b where b.created_by = new.created_by;
    if v_count >= v_limit then
      perform app.raise('PT429', format('Quota reached: one user may create at most %s brands', v_limit),
        jsonb_build_object('rule', 'quota', 'quota', 'brands_per_user', 'limit', v_limit, 'used', v_count),
        'The platform operator sets the limit (LOTLINE_QUOTA_BRANDS_PER_USER)');
    end if;
  end if;
  return new;
end
$$;
alter function app.tg__brands_quota() owner to lotline_auth;
comment on function app.tg__brands_quota() is
  'Definer (lotline_auth): counts every brand the creator made, including those whose rows RLS hides from them.';

revoke execute on function app.tg__brands_quota() from public;
grant execute on function app.serials_used_today(uuid), app.raise_serial_quota(bigint, bigint, bigint, text),
  app.check_serial_quota(uuid, bigint, text), app.charge_serials(uuid, bigint, text) to lotline_auth;
grant execute on function app.serials_used_today(uuid), app.raise_serial_quota(bigint, bigint, bigint, text),
  app.check_serial_quota(uuid, bigint, text) to authenticated;
