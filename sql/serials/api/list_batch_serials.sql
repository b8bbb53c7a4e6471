create function api.list_batch_serials(_brand_id uuid, _batch_id uuid, _after_seq bigint default null,
                                       _limit integer default 100, _status text default null)
returns setof api.serial
language plpgsql stable security invoker set search_path = ''
as $$
declare
  v_gtin   text;
  v_number text;
begin
  perform app.require_role(_brand_id, 'viewer', 'serials:read');
  if _limit is null or _limit not between 1 and 1000 then
    perform app.invalid('_limit', 'range', '_limit must be between 1 and 1000');
  end if;
  if _after_seq is not null and _after_seq < 0 then
    perform app.invalid('_after_seq', 'min', '_after_seq must be >= 0');
  end if;
  if _status is not null and _status not in ('active', 'void') then
    perform app.invalid('_status', 'enum', '_status must be active or void');
  end if;
  select p.gtin, b.batch_number into v_gtin, v_number
    from data.batches b join data.products p on p.brand_id = b.brand_id and p.id = b.product_id
   where b.brand_id = _brand_id and b.id = _batch_id;
  if not found then
    perform app.raise('PT404', format('Batch %s not found', _batch_id), jsonb_build_object('field', '_batch_id', 'rule', 'exists'));
  end if;
  return query
    select o.* from data.serials s cross join lateral app.serial_out(s, v_gtin, v_number) o
     where s.brand_id = _brand_id and s.batch_id = _batch_id and s.seq > coalesce(_after_seq, 0)
       and (_status is null or s.status = _status)
     order by s.seq
     limit _limit;
end
$$;
comment on function api.list_batch_serials(uuid, uuid, bigint, integer, text) is
  $$Serial numbers of a batch in seq order (stable), one page of _limit (1..1000, default 100) after _after_seq (keyset: pass the last row's seq for the next page); optional _status filter (active | void). Each row has its public code and GS1 Digital Link path. Viewer role, scope serials:read. Errors: 400, 401, 403, 404.$$;
grant execute on function api.list_batch_serials(uuid, uuid, bigint, integer, text) to authenticated;
