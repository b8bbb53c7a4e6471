-- Inventory: transfers between locations (docs/state-machine.md). Definers (lotline_auth): see
-- stock-ledger.sql for why and for the lock order.

-- Lock a transfer for an action: 404, 403 (update/cancel: its creator or an admin), 409 unless pending.
-- _role is the caller's role as returned by app.require_role. Internal (no grant).
create or replace function app.transfer_for_action(_brand_id uuid, _transfer_id uuid, _action text, _role text)
returns data.transfers
language plpgsql volatile security invoker set search_path = ''
as $$
declare v data.transfers;
begin
  perform app.check_required(_transfer_id, '_transfer_id');
  select * into v from data.transfers t where t.brand_id = _brand_id and t.id = _transfer_id for update;
  if not found then
    perform app.not_found('Transfer', _transfer_id, '_transfer_id');
  end if;
  if _action in ('update', 'cancel') and v.created_by is distinct from app.current_user_id() and app.role_rank(_role) < app.role_rank('admin') then
    perform app.raise('42501', format('Forbidden: only the creator of transfer %s or an admin may %s it', v.number, _action),
                      jsonb_build_object('field', '_transfer_id', 'rule', 'creator_or_admin', 'required_role', 'admin'));
  end if;
  if v.status <> 'pending' then
    perform app.raise('PT409', format('Transfer %s is %s; only a pending transfer can be %s', v.number, v.status,
                                      case _action when 'update' then 'updated' when 'accept' then 'accepted'
                                                   when 'decline' then 'declined' else 'cancelled' end),
                      jsonb_build_object('field', '_transfer_id', 'rule', 'state', 'state', v.status, 'number', v.number,
                                         'action', _action, 'allowed_states', jsonb_build_array('pending')));
  end if;
  return v;
end
$$;

-- Create a pending transfer and reserve its lines at the source. _lines: app.parse_transfer_lines output.
create or replace function app.transfer_create(_brand_id uuid, _from_location_id uuid, _to_location_id uuid, _lines jsonb, _note text)
returns uuid
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_id uuid := gen_random_uuid();
  v_n integer;
  v_number text;
begin
  perform app.require_role(_brand_id, 'editor', 'inventory:write');
  if _from_location_id is not null and _from_location_id = _to_location_id then
    perform app.invalid('_to_location_id', 'differs_from_source', '_to_location_id must differ from _from_location_id');
  end if;
  perform app.inventory_location_for_write(_brand_id, _from_location_id, '_from_location_id');
  perform app.inventory_location_for_write(_brand_id, _to_location_id, '_to_location_id');
  if _lines is null or jsonb_typeof(_lines) <> 'array' or jsonb_array_length(_lines) = 0 then
    perform app.invalid('_lines', 'min_items', '_lines must have at least one line');
  end if;
  perform app.inventory_check_batches(_brand_id, _lines);
  v_n := jsonb_array_length(_lines);
  -- batch rows before the counter (stock-ledger.sql, lock order): recalled, held, archived or expired stock
  -- cannot be reserved
  perform app.assert_stock_usable(_brand_id,
    array(select (e ->> 'batch_id')::uuid from jsonb_array_elements(_lines) e order by (e ->> 'index')::integer),
    array_fill(_from_location_id, array[v_n]),
    array(select format('_lines[%s].batch_id', e ->> 'index') from jsonb_array_elements(_lines) e order by (e ->> 'index')::integer));
  v_number := app.inventory_next_number(_brand_id, 'transfer', 'TR');
  perform app.stock_lock(_brand_id, array(select (e ->> 'batch_id')::uuid from jsonb_array_elements(_lines) e),
                         array_fill(_from_location_id, array[v_n]));
  perform app.stock_check_available(_brand_id, _from_location_id,
    (select jsonb_agg(jsonb_build_object('batch_id', e -> 'batch_id', 'index', e -> 'index',
                                         'requested', e -> 'quantity', 'need', e -> 'quantity'))
       from jsonb_array_elements(_lines) e));

  insert into data.transfers (brand_id, id, number, from_location_id, to_location_id, note, created_by)
  values (_brand_id, v_id, v_number, _from_location_id, _to_location_id,
          _note, app.current_user_id());
  insert into data.transfer_lines (brand_id, transfer_id, batch_id, quantity)
  select _brand_id, v_id, l.batch_id, l.quantity from jsonb_to_recordset(_lines) as l (batch_id uuid, quantity numeric);
  perform app.stock_apply(_brand_id, k.kinds, k.batches, k.locations, k.dq, k.dc, null, null, v_id)
     from (select array_agg('reservation'::text order by l.batch_id) as kinds, array_agg(l.batch_id order by l.batch_id) as batches,
                  array_agg(_from_location_id order by l.batch_id) as locations, array_agg(0::numeric order by l.batch_id) as dq,
                  array_agg(l.quantity order by l.batch_id) as dc
             from jsonb_to_recordset(_lines) as l (batch_id uuid, quantity numeric)) k;
  return v_id;
end
$$;
alter function app.transfer_create(uuid, uuid, uuid, jsonb, text) owner to lotline_auth;
comment on function app.transfer_create(uuid, uuid, uuid, jsonb, text) is
  'Definer: transfers, their lines, stock and the ledger have no write grant for callers; creates and reserves for an editor (checked first).';

-- Change a pending transfer: lines (replaced; reservations adjusted by the difference), destination, note.
-- _lines / _to_location_id null = unchanged; _note null = unchanged, '' = cleared.
create or replace function app.transfer_update(_brand_id uuid, _transfer_id uuid, _lines jsonb, _to_location_id uuid,
                                               _note text, _expected_version integer)
returns void
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_role text;
  v_t data.transfers;
  v_changed boolean := false;
  v_old jsonb;
  v_kinds text[];
  v_batches uuid[];
  v_locations uuid[];
  v_dq numeric[];
  v_dc numeric[];
  v_reasons text[];
begin
  v_role := app.require_role(_brand_id, 'editor', 'inventory:write');
  v_t := app.transfer_for_action(_brand_id, _transfer_id, 'update', v_role);
  if _expected_version is not null and _expected_version <> v_t.version then
    perform app.raise('PT412', format('Transfer %s is at version %s, not %s', v_t.number, v_t.version, _expected_version),
                      jsonb_build_object('field', '_expected_version', 'rule', 'current_version', 'current', v_t.version));
  end if;

  if _to_location_id is not null and _to_location_id <> v_t.to_location_id then
    if _to_location_id = v_t.from_location_id then
      perform app.invalid('_to_location_id', 'differs_from_source', '_to_location_id must differ from the source location');
    end if;
    perform app.inventory_location_for_write(_brand_id, _to_location_id, '_to_location_id');
    v_t.to_location_id := _to_location_id;
    v_changed := true;
  end if;

  if _note is not null and nullif(_note, '') is distinct from v_t.note then
    v_t.note := nullif(_note, '');
    v_changed := true;
  end if;

  if _lines is not null then
    if jsonb_typeof(_lines) <> 'array' or jsonb_array_length(_lines) = 0 then
      perform app.invalid('_lines', 'min_items', '_lines must have at least one line');
    end if;
    perform app.inventory_check_batches(_brand_id, _lines);
    select coalesce(jsonb_agg(jsonb_build_object('batch_id', l.batch_id, 'quantity', l.quantity)), '[]') into v_old
      from data.transfer_lines l where l.brand_id = _brand_id and l.transfer_id = _transfer_id;
    -- a line that reserves more (new or increased) needs usable stock; releasing is always allowed (so a line of
    -- stock that became unsellable may shrink)
    perform app.assert_stock_usable(_brand_id, array_agg(n.batch_id order by n.index), array_agg(v_t.from_location_id),
                                    array_agg(format('_lines[%s].batch_id', n.index) order by n.index))
       from jsonb_to_recordset(_lines) as n (batch_id uuid, quantity numeric, index integer)
       left join jsonb_to_recordset(v_old) as o (batch_id uuid, quantity numeric) on o.batch_id = n.batch_id
      where n.quantity > coalesce(o.quantity, 0);
    -- lock the source balances of every batch in the old or the new lines
    perform app.stock_lock(_brand_id, k.batches, array_fill(v_t.from_location_id, array[cardinality(k.batches)]))
       from (select array(select (e ->> 'batch_id')::uuid from jsonb_array_elements(_lines || v_old) e) as batches) k;
    perform app.stock_check_available(_brand_id, v_t.from_location_id,
      (select jsonb_agg(jsonb_build_object('batch_id', n.batch_id, 'index', n.index, 'requested', n.quantity,
                                           'need', n.quantity - coalesce(o.quantity, 0)))
         from jsonb_to_recordset(_lines) as n (batch_id uuid, quantity numeric, index integer)
         left join jsonb_to_recordset(v_old) as o (batch_id uuid, quantity numeric) on o.batch_id = n.batch_id));
    -- reserve the increases, release the decreases
    select array_agg(case when x.delta > 0 then 'reservation' else 'release' end order by x.batch_id),
           array_agg(x.batch_id order by x.batch_id), array_agg(v_t.from_location_id order by x.batch_id),
           array_agg(0::numeric order by x.batch_id), array_agg(x.delta order by x.batch_id),
           array_agg(case when x.delta < 0 then 'transfer updated' end order by x.batch_id)
      into v_kinds, v_batches, v_locations, v_dq, v_dc, v_reasons
      from (select coalesce(n.batch_id, o.batch_id) as batch_id, coalesce(n.quantity, 0) - coalesce(o.quantity, 0) as delta
              from jsonb_to_recordset(_lines) as n (batch_id uuid, quantity numeric)
              full join jsonb_to_recordset(v_old) as o (batch_id uuid, quantity numeric) on o.batch_id = n.batch_id
             where coalesce(n.quantity, 0) <> coalesce(o.quantity, 0)) x;
    if v_kinds is not null then
      v_changed := true;
      perform app.stock_apply(_brand_id, v_kinds, v_batches, v_locations, v_dq, v_dc, v_reasons, null, _transfer_id);
      delete from data.transfer_lines l where l.brand_id = _brand_id and l.transfer_id = _transfer_id;
      perform app.require_found(found, '_transfer_id', format('Transfer %s not found', _transfer_id));
      insert into data.transfer_lines (brand_id, transfer_id, batch_id, quantity)
      select _brand_id, _transfer_id, l.batch_id, l.quantity from jsonb_to_recordset(_lines) as l (batch_id uuid, quantity numeric);
    end if;
  end if;

  if v_changed then
    update data.transfers t
       set to_location_id = v_t.to_location_id, note = v_t.note, updated_by = app.current_user_id(),
           updated_at = greatest(pg_catalog.clock_timestamp(), t.updated_at), version = t.version + 1
     where t.brand_id = _brand_id and t.id = _transfer_id;
    perform app.require_found(found, '_transfer_id', format('Transfer %s not found', _transfer_id));
  end if;
end
$$;
alter function app.transfer_update(uuid, uuid, jsonb, uuid, text, integer) owner to lotline_auth;
comment on function app.transfer_update(uuid, uuid, jsonb, uuid, text, integer) is
  'Definer: transfers, their lines, stock and the ledger have no write grant for callers; re-reserves for the creator or an admin (checked first).';

-- Finish a pending transfer: accept (admin: release + transfer_out at the source, transfer_in at the
-- destination, exactly once), decline (admin, with a reason: release) or cancel (its creator or an admin:
-- release). The transfer row lock makes concurrent finishers wait; they then see the new state → 409.
create or replace function app.transfer_finish(_brand_id uuid, _transfer_id uuid, _action text, _reason text)
returns void
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_role text;
  v_t data.transfers;
  v_sub text;
  v_batches uuid[];
  v_qtys numeric[];
  v_n integer;
  v_reason text;
  v_kinds text[] := '{}';
  v_mb uuid[] := '{}';
  v_ml uuid[] := '{}';
  v_dq numeric[] := '{}';
  v_dc numeric[] := '{}';
  v_reasons text[] := '{}';
  i integer;
begin
  if _action not in ('accept', 'decline', 'cancel') then
    perform app.invalid('_action', 'enum', '_action must be accept, decline or cancel');
  end if;
  v_role := app.require_role(_brand_id, case when _action = 'cancel' then 'editor' else 'admin' end, 'inventory:write');
  v_sub := app.current_user_id();
  if _action = 'decline' then
    v_reason := app.check_text(_reason, '_reason', 2000);
  else
    v_reason := app.check_text(_reason, '_reason', 2000, false);
  end if;
  v_t := app.transfer_for_action(_brand_id, _transfer_id, _action, v_role);

  select array_agg(l.batch_id order by l.batch_id), array_agg(l.quantity order by l.batch_id)
    into v_batches, v_qtys
    from data.transfer_lines l where l.brand_id = _brand_id and l.transfer_id = _transfer_id;
  v_n := coalesce(cardinality(v_batches), 0);

  if _action = 'accept' then
    -- a transfer of stock that became recalled or unsellable (held, expired) while it was pending stays pending:
    -- it can be declined or cancelled, not accepted
    perform app.assert_stock_usable(_brand_id, v_batches, array_fill(v_t.from_location_id, array[v_n]),
                                    array_fill('_transfer_id'::text, array[v_n]));
    perform app.stock_lock(_brand_id, v_batches || v_batches,
                           array_fill(v_t.from_location_id, array[v_n]) || array_fill(v_t.to_location_id, array[v_n]));
    -- per line: release then transfer_out at the source (that order keeps committed <= quantity at every
    -- step), transfer_in at the destination
    for i in 1 .. v_n loop
      v_kinds := v_kinds || array['release', 'transfer_out', 'transfer_in'];
      v_mb := v_mb || array[v_batches[i], v_batches[i], v_batches[i]];
      v_ml := v_ml || array[v_t.from_location_id, v_t.from_location_id, v_t.to_location_id];
      v_dq := v_dq || array[0, -v_qtys[i], v_qtys[i]];
      v_dc := v_dc || array[-v_qtys[i], 0, 0];
      v_reasons := v_reasons || array['transfer accepted', v_reason, v_reason];
    end loop;
    perform app.stock_apply(_brand_id, v_kinds, v_mb, v_ml, v_dq, v_dc, v_reasons, null, _transfer_id);
    update data.transfers t
       set status = 'accepted', accepted_by = v_sub, accepted_at = pg_catalog.now(), updated_by = v_sub,
           updated_at = greatest(pg_catalog.clock_timestamp(), t.updated_at), version = t.version + 1
     where t.brand_id = _brand_id and t.id = _transfer_id;
    perform app.require_found(found, '_transfer_id', format('Transfer %s not found', _transfer_id));
  else
    perform app.stock_lock(_brand_id, v_batches, array_fill(v_t.from_location_id, array[v_n]));
    perform app.stock_apply(_brand_id, array_fill('release'::text, array[v_n]), v_batches,
                            array_fill(v_t.from_location_id, array[v_n]), array_fill(0::numeric, array[v_n]),
                            (select array_agg(-q) from unnest(v_qtys) q),
                            array_fill('transfer ' || case _action when 'decline' then 'declined' else 'cancelled' end ||
                                       coalesce(': ' || v_reason, ''), array[v_n]),
                            null, _transfer_id);
    if _action = 'decline' then
      update data.transfers t
         set status = 'declined', declined_by = v_sub, declined_at = pg_catalog.now(), decline_reason = v_reason,
             updated_by = v_sub, updated_at = greatest(pg_catalog.clock_timestamp(), t.updated_at), version = t.version + 1
       where t.brand_id = _brand_id and t.id = _transfer_id;
      perform app.require_found(found, '_transfer_id', format('Transfer %s not found', _transfer_id));
    else
      update data.transfers t
         set status = 'cancelled', cancelled_by = v_sub, cancelled_at = pg_catalog.now(), cancel_reason = v_reason,
             updated_by = v_sub, updated_at = greatest(pg_catalog.clock_timestamp(), t.updated_at), version = t.version + 1
       where t.brand_id = _brand_id and t.id = _transfer_id;
      perform app.require_found(found, '_transfer_id', format('Transfer %s not found', _transfer_id));
    end if;
  end if;
end
$$;
alter function app.transfer_finish(uuid, uuid, text, text) owner to lotline_auth;
comment on function app.transfer_finish(uuid, uuid, text, text) is
  'Definer: transfer status, stock and the ledger have no write grant for callers; accepts/declines for an admin, cancels for the creator or an admin (checked first).';

alter function app.transfer_for_action(uuid, uuid, text, text) owner to lotline_auth;
revoke execute on function app.transfer_for_action(uuid, uuid, text, text),
  app.transfer_create(uuid, uuid, uuid, jsonb, text), app.transfer_update(uuid, uuid, jsonb, uuid, text, integer),
  app.transfer_finish(uuid, uuid, text, text) from public;
grant execute on function app.transfer_create(uuid, uuid, uuid, jsonb, text), app.transfer_update(uuid, uuid, jsonb, uuid, text, integer),
  app.transfer_finish(uuid, uuid, text, text) to authenticated;
