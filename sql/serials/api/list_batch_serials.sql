create function api.list_batch_serials(_brand_id uuid, _batch_id uuid, _after_seq bigint default null,
                                       _limit integer default 100, _status text default null)
returns setof api.serial
language plpgsql stable security invoker set search_path = ''
as $$
declare
  v_gtin   text;
  v_number text;
  v_status text := app.status_arg(_status);
begin
  perform app.require_role(_brand_id, 'viewer', 'serials:read');
  perform app.check_between(_limit, '_limit', 1, 1000);
  if _after_seq is not null and _after_seq < 0 then
    perform app.invalid('_after_seq', 'min', '_after_seq must be >= 0');
  end if;
  if v_status is not null and v_status not in ('active', 'void') then
    perform app.invalid('_status', 'enum', '_status must be active or void');
  end if;
  select k.gtin, k.batch_number into v_gtin, v_number from app.serial_batch(_brand_id, _batch_id) k;
  return query
    select o.* from data.serials s cross join lateral app.serial_out(s, v_gtin, v_number) o
     where s.brand_id = _brand_id and s.batch_id = _batch_id and s.seq > coalesce(_after_seq, 0)
       and (v_status is null or s.status = v_status)
     order by s.seq
     limit _limit;
end
$$;
comment on function api.list_batch_serials(uuid, uuid, bigint, integer, text) is
  $$Serial numbers of a batch in seq order (stable), one page of _limit (1..1000, default 100) after _after_seq (keyset: pass the last row's seq for the next page); optional _status filter (active | void; case-insensitive). Each row has its public code and GS1 Digital Link path. Viewer role, scope serials:read. Errors: 400, 401, 403, 404.$$;
grant execute on function api.list_batch_serials(uuid, uuid, bigint, integer, text) to authenticated;
