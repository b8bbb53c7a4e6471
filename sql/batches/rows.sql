-- Reading the batch an RPC names: 404 when the brand has no such batch (or the caller cannot see it).

create or replace function app.batch_of(_brand_id uuid, _batch_id uuid)
returns data.batches
language plpgsql stable security invoker set search_path = ''
as $$
declare v data.batches;
begin
  select * into v from data.batches b where b.brand_id = _brand_id and b.id = _batch_id;
  if not found then
    perform app.not_found('Batch', _batch_id, '_batch_id');
  end if;
  return v;
end
$$;

-- The same, locked FOR UPDATE, and 412 (PT412) when _expected_version is given and the batch has moved on.
create or replace function app.batch_for_update(_brand_id uuid, _batch_id uuid, _expected_version integer default null)
returns data.batches
language plpgsql volatile security invoker set search_path = ''
as $$
declare v data.batches;
begin
  select * into v from data.batches b where b.brand_id = _brand_id and b.id = _batch_id for update;
  if not found then
    perform app.not_found('Batch', _batch_id, '_batch_id');
  end if;
  if _expected_version is not null and _expected_version <> v.version then
    perform app.raise('PT412', format('Batch %s is at version %s, not %s', _batch_id, v.version, _expected_version),
                      jsonb_build_object('field', '_expected_version', 'rule', 'current_version', 'current', v.version));
  end if;
  return v;
end
$$;

grant execute on function app.batch_of(uuid, uuid), app.batch_for_update(uuid, uuid, integer) to authenticated;
