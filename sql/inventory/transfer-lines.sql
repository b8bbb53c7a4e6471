-- Inventory: the lines of a transfer as callers write them.

-- Validate and normalise transfer lines: [{batch_id, quantity}] → [{batch_id, quantity, index}] sorted by
-- batch_id; 22023 naming `_lines[i].<key>` for every rule. Pure: runs as the caller.
create or replace function app.parse_transfer_lines(_lines jsonb, _field text default '_lines')
returns jsonb
language plpgsql immutable security invoker set search_path = ''
as $$
declare
  v_el jsonb;
  v_i integer := 0;
  v_key text;
  v_f text;
  v_batch uuid;
  v_qty numeric;
  v_seen uuid[] := '{}';
  v_out jsonb := '[]';
begin
  if _lines is null or jsonb_typeof(_lines) <> 'array' then
    perform app.invalid(_field, 'array', format('%s must be a JSON array of {batch_id, quantity}', _field));
  end if;
  if jsonb_array_length(_lines) = 0 then
    perform app.invalid(_field, 'min_items', format('%s must have at least one line', _field));
  end if;
  if jsonb_array_length(_lines) > 500 then
    perform app.invalid(_field, 'max_items', format('%s must have at most 500 lines', _field));
  end if;
  for v_el in select e from jsonb_array_elements(_lines) e loop
    v_f := format('%s[%s]', _field, v_i);
    if jsonb_typeof(v_el) <> 'object' then
      perform app.invalid(v_f, 'object', format('%s must be an object {batch_id, quantity}', v_f));
    end if;
    for v_key in select jsonb_object_keys(v_el) loop
      if v_key not in ('batch_id', 'quantity') then
        perform app.invalid(v_f || '.' || v_key, 'unknown_key', format('%s.%s is not a line field; allowed: batch_id, quantity', v_f, v_key));
      end if;
    end loop;
    if jsonb_typeof(v_el -> 'batch_id') is distinct from 'string' then
      perform app.invalid(v_f || '.batch_id', 'required', format('%s.batch_id is required (a uuid string)', v_f));
    end if;
    if (v_el ->> 'batch_id') !~ '^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$' then
      perform app.invalid(v_f || '.batch_id', 'uuid', format('%s.batch_id must be a uuid', v_f));
    end if;
    v_batch := (v_el ->> 'batch_id')::uuid;
    if v_el -> 'quantity' is null or jsonb_typeof(v_el -> 'quantity') = 'null' then
      perform app.invalid(v_f || '.quantity', 'required', format('%s.quantity is required', v_f));
    end if;
    v_qty := app.json_quantity(v_el -> 'quantity', v_f || '.quantity');
    if v_qty <= 0 then
      perform app.invalid(v_f || '.quantity', 'positive', format('%s.quantity must be > 0', v_f));
    end if;
    if v_batch = any (v_seen) then
      perform app.invalid(v_f || '.batch_id', 'unique', format('%s.batch_id %s appears in an earlier line; give one line per batch', v_f, v_batch));
    end if;
    v_seen := v_seen || v_batch;
    v_out := v_out || jsonb_build_array(jsonb_build_object('batch_id', v_batch, 'quantity', v_qty, 'index', v_i));
    v_i := v_i + 1;
  end loop;
  return (select jsonb_agg(e order by (e ->> 'batch_id')::uuid) from jsonb_array_elements(v_out) e);
end
$$;

grant execute on function app.parse_transfer_lines(jsonb, text) to authenticated, lotline_auth;
