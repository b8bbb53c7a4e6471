create function api.import_serials(_brand_id uuid, _batch_id uuid, _serials jsonb, _on_error text default 'rollback')
returns api.serial_import_result
language plpgsql volatile security invoker set search_path = ''
as $$
declare
  v_errors  api.serial_import_error[];
  v_valid   text[];
  v_failed  integer;
  v_range   record;
begin
  perform app.require_role(_brand_id, 'admin', 'serials:write');
  if _batch_id is null then
    perform app.invalid('_batch_id', 'required', '_batch_id is required');
  end if;
  if _serials is null or jsonb_typeof(_serials) <> 'array' then
    perform app.invalid('_serials', 'array', '_serials must be a JSON array of serial numbers (strings or {"serial_number": "…"})');
  end if;
  if jsonb_array_length(_serials) not between 1 and 100000 then
    perform app.invalid('_serials', 'size', '_serials must hold 1 to 100000 records');
  end if;
  if _on_error is null or _on_error not in ('rollback', 'proceed') then
    perform app.invalid('_on_error', 'enum', '_on_error must be rollback or proceed');
  end if;
  -- batch checks (404/409) and the per-batch lock, so the duplicate check below cannot race another import
  perform app.serials_prepare(_brand_id, _batch_id);

  -- every record checked in one set-based pass: no savepoint per record
  with r as (
    select (t.i - 1)::integer as idx, t.e, jsonb_typeof(t.e) as kind,
           case jsonb_typeof(t.e)
             when 'string' then t.e #>> '{}'
             when 'object' then case when jsonb_typeof(t.e -> 'serial_number') = 'string' then t.e ->> 'serial_number' end
           end as sn
      from jsonb_array_elements(_serials) with ordinality as t(e, i)
  ), c as (
    select r.idx, r.sn,
           case
             when r.kind not in ('string', 'object') then 'type'
             when r.kind = 'object' and exists (select from jsonb_object_keys(r.e) k where k <> 'serial_number') then 'unknown_key'
             when r.sn is null then 'type'
             when r.sn = '' then 'required'
             when length(r.sn) > 20 then 'max_length'
             when r.sn !~ '^[!"%&''()*+,./0-9:;<=>?A-Z_a-z-]+$' then 'charset'   -- GS1 AI 21: set 82 (app.gs1_ai82_ok, inlined)
             when min(r.idx) over (partition by r.sn) < r.idx then 'duplicate_in_payload'
             when exists (select from data.serials s
                           where s.brand_id = _brand_id and s.batch_id = _batch_id and s.serial_number = r.sn) then 'duplicate_existing'
           end as rule,
           min(r.idx) over (partition by r.sn) as first_idx
      from r
  )
  select array_agg(row(c.idx, c.sn, case when c.rule = 'unknown_key' then '_serials' else 'serial_number' end, c.rule,
                       case c.rule
                         when 'type' then format('record %s must be a string or an object {"serial_number": string}', c.idx)
                         when 'unknown_key' then format('record %s has keys other than serial_number', c.idx)
                         when 'required' then format('record %s: serial_number is required', c.idx)
                         when 'max_length' then format('record %s: serial_number must be at most 20 characters (GS1 AI 21)', c.idx)
                         when 'charset' then format('record %s: serial_number must use only the GS1 AI 21 character set (A-Z a-z 0-9 and !"%%&''()*+,-./:;<=>?_)', c.idx)
                         when 'duplicate_in_payload' then format('record %s: serial_number "%s" repeats record %s', c.idx, c.sn, c.first_idx)
                         when 'duplicate_existing' then format('record %s: serial_number "%s" already exists in batch %s', c.idx, c.sn, _batch_id)
                       end)::api.serial_import_error order by c.idx) filter (where c.rule is not null),
         array_agg(c.sn order by c.idx) filter (where c.rule is null)
    into v_errors, v_valid
    from c;

  v_failed := coalesce(cardinality(v_errors), 0);
  if v_valid is null or (v_failed > 0 and _on_error = 'rollback') then
    return row(false, 0, v_failed, null, null, coalesce(v_errors, '{}'))::api.serial_import_result;
  end if;
  select * into v_range from app.serials_insert(_brand_id, _batch_id, null, v_valid);
  return row(v_failed = 0, v_range.inserted, v_failed, v_range.first_seq, v_range.last_seq, coalesce(v_errors, '{}'))::api.serial_import_result;
end
$$;
comment on function api.import_serials(uuid, uuid, jsonb, text) is
  $$Bring your own serial numbers: _serials is a JSON array (1..100000) of strings or {"serial_number": "…"} objects, imported in array order (seq continues the batch), each with a new public code. Every record is checked in one pass — GS1 AI 21 (1-20 characters of set 82), duplicates within the payload and against the batch — and errors are reported per record (0-based index, field, rule). _on_error: rollback (default: import nothing when any record fails) or proceed (import the valid ones). Same product/batch rules as mint_serials. Admin role, scope serials:write. Errors: 400, 401, 403, 404, 409.$$;
grant execute on function api.import_serials(uuid, uuid, jsonb, text) to authenticated;
