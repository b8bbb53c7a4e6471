-- Pick lists: reserve exactly the first-expiry-first-out suggestion (app.pick_suggestion, sql/quality/types.sql),
-- then pick it (the stock leaves) or release it. Reservations are the inventory room's: committed rises at the
-- location through app.stock_apply, with ledger rows pointing at the pick. Definers (lotline_auth): picks, their
-- lines, stock and the ledger have no write grant for callers. Lock order as in sql/inventory/stock-ledger.sql:
-- the pick row (confirm, release) → the batch rows FOR SHARE (app.assert_stock_usable: reserve, confirm) → the
-- brand counter (reserve) → the stock advisory locks.

-- Reserve a pick for an editor (checked first). _lines: the suggestion's lines [{batch_id, quantity}] as
-- suggest_picks returned them (batch_number, expiry_date, received_date and available may stay in); under the stock locks the suggestion for their total is computed again and
-- must be exactly these lines (else 409 suggestion_changed with the current suggestion in details).
create or replace function app.pick_reserve(_brand_id uuid, _product_id uuid, _location_id uuid, _lines jsonb,
                                            _min_remaining_days integer, _note text)
returns uuid
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_id uuid := gen_random_uuid();
  v_lines jsonb;
  v_total numeric;
  v_note text;
  v_number text;
  v_suggestion jsonb;
begin
  perform app.require_role(_brand_id, 'editor', 'inventory:write');
  perform app.pick_check_args(_brand_id, _product_id, _location_id, _min_remaining_days);
  v_note := app.check_text(_note, '_note', 2000, false);
  -- the suggestion's lines as suggest_picks returned them: their informational fields are not part of the request
  v_lines := app.parse_transfer_lines(
    case when jsonb_typeof(_lines) = 'array'
         then (select coalesce(jsonb_agg(case when jsonb_typeof(e) = 'object'
                                              then e - array['batch_number', 'expiry_date', 'received_date', 'available']
                                              else e end order by i), '[]')
                 from jsonb_array_elements(_lines) with ordinality as x (e, i))
         else _lines end, '_lines');
  perform app.inventory_check_batches(_brand_id, v_lines);
  select sum((e ->> 'quantity')::numeric) into v_total from jsonb_array_elements(v_lines) e;
  if v_total >= 1e15 then
    perform app.invalid('_lines', 'max', 'the lines must add up to less than 1e15');
  end if;

  -- batch rows before the counter (lock order): recalled, held, archived or expired stock is not reserved
  perform app.assert_stock_usable(_brand_id,
    array(select (e ->> 'batch_id')::uuid from jsonb_array_elements(v_lines) e order by (e ->> 'index')::integer),
    array_fill(_location_id, array[jsonb_array_length(v_lines)]),
    array(select format('_lines[%s].batch_id', e ->> 'index') from jsonb_array_elements(v_lines) e order by (e ->> 'index')::integer));
  v_number := app.inventory_next_number(_brand_id, 'pick', 'PK');
  perform app.stock_lock(_brand_id, array(select (e ->> 'batch_id')::uuid from jsonb_array_elements(v_lines) e),
                         array_fill(_location_id, array[jsonb_array_length(v_lines)]));
  select to_jsonb(s) into v_suggestion
    from app.pick_suggestion(_brand_id, _product_id, _location_id, v_total, _min_remaining_days) s;
  if exists (select from jsonb_to_recordset(v_lines) as n (batch_id uuid, quantity numeric)
               full join jsonb_to_recordset(v_suggestion -> 'lines') as c (batch_id uuid, quantity numeric)
                 on c.batch_id = n.batch_id
              where n.quantity is distinct from c.quantity) then
    perform app.raise('PT409',
      'The pick suggestion changed since it was made (stock, holds or expiry moved); reserve the current suggestion in details',
      jsonb_build_object('field', '_lines', 'rule', 'suggestion_changed', 'suggestion', v_suggestion));
  end if;

  insert into data.picks (brand_id, id, number, product_id, location_id, quantity, note, created_by)
  values (_brand_id, v_id, v_number, _product_id, _location_id, v_total, v_note, app.current_user_id());
  insert into data.pick_lines (brand_id, pick_id, position, batch_id, quantity)
  select _brand_id, v_id, x.ord, (x.e ->> 'batch_id')::uuid, (x.e ->> 'quantity')::numeric
    from jsonb_array_elements(v_suggestion -> 'lines') with ordinality as x (e, ord);
  perform app.stock_apply(_brand_id, k.kinds, k.batches, k.locations, k.dq, k.dc, _pick_id => v_id)
     from (select array_agg('reservation'::text order by l.batch_id) as kinds, array_agg(l.batch_id order by l.batch_id) as batches,
                  array_agg(_location_id order by l.batch_id) as locations, array_agg(0::numeric order by l.batch_id) as dq,
                  array_agg(l.quantity order by l.batch_id) as dc
             from jsonb_to_recordset(v_lines) as l (batch_id uuid, quantity numeric)) k;
  return v_id;
end
$$;

-- Arguments shared by suggest_picks and reserve_picks: required ids that exist in the brand, 0–3650 days.
create or replace function app.pick_check_args(_brand_id uuid, _product_id uuid, _location_id uuid, _min_remaining_days integer)
returns void
language plpgsql stable security invoker set search_path = ''
as $$
begin
  if _product_id is null then
    perform app.invalid('_product_id', 'required', '_product_id is required');
  end if;
  if _location_id is null then
    perform app.invalid('_location_id', 'required', '_location_id is required');
  end if;
  if _min_remaining_days is null or _min_remaining_days < 0 or _min_remaining_days > 3650 then
    perform app.invalid('_min_remaining_days', 'range', '_min_remaining_days must be between 0 and 3650');
  end if;
  if not exists (select from data.products p where p.brand_id = _brand_id and p.id = _product_id) then
    perform app.raise('PT404', format('Product %s not found', _product_id), jsonb_build_object('field', '_product_id', 'rule', 'exists'));
  end if;
  if not exists (select from data.locations l where l.brand_id = _brand_id and l.id = _location_id) then
    perform app.raise('PT404', format('Location %s not found', _location_id), jsonb_build_object('field', '_location_id', 'rule', 'exists'));
  end if;
end
$$;

-- Finish a reserved pick: confirm (the stock leaves: release + pick per line; refused while a line's stock is
-- unsellable) or release (the reservation ends). The pick row lock makes concurrent finishers queue; each
-- later one sees the new state → 409.
create or replace function app.pick_finish(_brand_id uuid, _pick_id uuid, _action text, _reason text)
returns void
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v data.picks;
  v_sub text;
  v_reason text;
  v_batches uuid[];
  v_qtys numeric[];
  v_n integer;
  v_locs uuid[];
  v_kinds text[] := '{}';
  v_mb uuid[] := '{}';
  v_dq numeric[] := '{}';
  v_dc numeric[] := '{}';
  i integer;
begin
  if _action not in ('confirm', 'release') then
    perform app.invalid('_action', 'enum', '_action must be confirm or release');
  end if;
  perform app.require_role(_brand_id, 'editor', 'inventory:write');
  v_sub := app.current_user_id();
  v_reason := app.check_text(_reason, '_reason', 2000, false);
  if _pick_id is null then
    perform app.invalid('_pick_id', 'required', '_pick_id is required');
  end if;
  select * into v from data.picks k where k.brand_id = _brand_id and k.id = _pick_id for update;
  if not found then
    perform app.raise('PT404', format('Pick %s not found', _pick_id), jsonb_build_object('field', '_pick_id', 'rule', 'exists'));
  end if;
  if v.status <> 'reserved' then
    perform app.raise('PT409', format('Pick %s is %s; only a reserved pick can be %s', v.number, v.status,
                                      case _action when 'confirm' then 'confirmed' else 'released' end),
                      jsonb_build_object('field', '_pick_id', 'rule', 'state', 'state', v.status, 'number', v.number,
                                         'action', _action, 'allowed_states', jsonb_build_array('reserved')));
  end if;
  select array_agg(l.batch_id order by l.batch_id), array_agg(l.quantity order by l.batch_id)
    into v_batches, v_qtys
    from data.pick_lines l where l.brand_id = _brand_id and l.pick_id = _pick_id;
  v_n := cardinality(v_batches);
  v_locs := array_fill(v.location_id, array[v_n]);
  if _action = 'confirm' then
    -- stock that became recalled or unsellable since it was reserved is not picked (release the pick instead)
    perform app.assert_stock_usable(_brand_id, v_batches, v_locs, array_fill('_pick_id'::text, array[v_n]));
  end if;
  perform app.stock_lock(_brand_id, v_batches, v_locs);

  if _action = 'confirm' then
    -- per line: release, then the stock leaves (that order keeps committed <= quantity at every step)
    for i in 1 .. v_n loop
      v_kinds := v_kinds || array['release', 'pick'];
      v_mb := v_mb || array[v_batches[i], v_batches[i]];
      v_dq := v_dq || array[0, -v_qtys[i]];
      v_dc := v_dc || array[-v_qtys[i], 0];
    end loop;
    perform app.stock_apply(_brand_id, v_kinds, v_mb, array_fill(v.location_id, array[2 * v_n]), v_dq, v_dc,
                            array_fill(coalesce(v_reason, 'pick ' || v.number), array[2 * v_n]), _pick_id => _pick_id);
    update data.picks k
       set status = 'picked', picked_by = v_sub, picked_at = pg_catalog.now(), updated_by = v_sub,
           updated_at = greatest(pg_catalog.clock_timestamp(), k.updated_at), version = k.version + 1
     where k.brand_id = _brand_id and k.id = _pick_id;
    perform app.require_found(found, '_pick_id', format('Pick %s not found', _pick_id));
  else
    perform app.stock_apply(_brand_id, array_fill('release'::text, array[v_n]), v_batches, v_locs,
                            array_fill(0::numeric, array[v_n]), (select array_agg(-q) from unnest(v_qtys) q),
                            array_fill('pick released' || coalesce(': ' || v_reason, ''), array[v_n]), _pick_id => _pick_id);
    update data.picks k
       set status = 'released', released_by = v_sub, released_at = pg_catalog.now(), release_reason = v_reason,
           updated_by = v_sub, updated_at = greatest(pg_catalog.clock_timestamp(), k.updated_at), version = k.version + 1
     where k.brand_id = _brand_id and k.id = _pick_id;
    perform app.require_found(found, '_pick_id', format('Pick %s not found', _pick_id));
  end if;
end
$$;

alter function app.pick_reserve(uuid, uuid, uuid, jsonb, integer, text) owner to lotline_auth;
alter function app.pick_finish(uuid, uuid, text, text) owner to lotline_auth;
comment on function app.pick_reserve(uuid, uuid, uuid, jsonb, integer, text) is
  'Definer: picks, stock and the ledger have no write grant for callers; reserves the current suggestion for an editor (checked first).';
comment on function app.pick_finish(uuid, uuid, text, text) is
  'Definer: picks, stock and the ledger have no write grant for callers; confirms or releases a reserved pick for an editor (checked first).';
revoke execute on function app.pick_reserve(uuid, uuid, uuid, jsonb, integer, text), app.pick_finish(uuid, uuid, text, text) from public;
grant execute on function app.pick_check_args(uuid, uuid, uuid, integer) to authenticated, lotline_auth;
grant execute on function app.pick_reserve(uuid, uuid, uuid, jsonb, integer, text), app.pick_finish(uuid, uuid, text, text)
  to authenticated;
