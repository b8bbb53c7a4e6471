-- Inventory: the only writers of stock, the stock ledger, inbound receipts and transfers.
-- docs/inventory.md describes the model; docs/state-machine.md the transfer states.
--
-- Why definers: data.stock, data.stock_movements, data.inbounds(+lines) and data.transfers(+lines) have no
-- write grant for `authenticated`, so no caller (HTTP or SQL door) can change a balance without the
-- matching ledger row, reserve without a transfer, or flip a transfer's status without moving stock.
-- The definers below are owned by lotline_auth (BYPASSRLS), check the caller themselves first
-- (app.require_role), and each keeps every invariant on its own.
--
-- Locking (ERPNext's and Odoo's lessons, notes/perf-reliability-anchors.md §5.4), always in this order:
--   1. the transfer row (select … for update) when the operation is on a transfer;
--   2. location rows `for share` when stock may be put into them (archive_location takes the row
--      `for update`, so a location cannot be archived under a running receipt or transfer);
--   3. the brand counter row (transfer / inbound number) when the call creates one. Before the stock
--      locks, so a creator waiting for the counter holds no stock lock that accepts would queue behind;
--   4. a transaction-scoped advisory lock per (brand, batch, location), all taken up front, in the order
--      of their 64-bit keys (app.stock_lock). This also guards the FIRST movement at a (batch, location)
--      whose stock row does not exist yet, which row locks cannot do. Availability is read only after.
-- Every writer takes these in this order and never waits for an earlier one after a later one, so
-- writers never deadlock one another.

-- The inventory definers call these helpers as lotline_auth.
grant execute on function app.require_role(uuid, text, text), app.require_scope(text), app.current_scopes(),
  app.invalid(text, text, text), app.check_text(text, text, integer, boolean), app.check_quantity(numeric, text),
  app.json_quantity(jsonb, text), app.json_date(jsonb, text) to lotline_auth;

-- 64-bit advisory lock key of one stock balance.
create or replace function app.stock_lock_key(_brand_id uuid, _batch_id uuid, _location_id uuid)
returns bigint
language sql immutable parallel safe security invoker set search_path = ''
as $$
  select pg_catalog.hashtextextended('lotline.stock:' || _brand_id::text || ':' || _batch_id::text || ':' || _location_id::text, 0)
$$;

-- Take the advisory locks of all (batch, location) pairs a transaction will touch, deduplicated and
-- sorted by key (not by ids: two pairs whose hashes collide then still lock in one global order).
-- Transaction-scoped: released at commit or rollback. Internal (no grant): called by the definers below.
create or replace function app.stock_lock(_brand_id uuid, _batch_ids uuid[], _location_ids uuid[])
returns integer
language plpgsql volatile security invoker set search_path = ''
as $$
declare
  v_key bigint;
  v_n integer := 0;
begin
  for v_key in
    select distinct app.stock_lock_key(_brand_id, k.batch_id, k.location_id)
      from unnest(_batch_ids, _location_ids) as k (batch_id, location_id)
     where k.batch_id is not null and k.location_id is not null
     order by 1
  loop
    perform pg_catalog.pg_advisory_xact_lock(v_key);
    v_n := v_n + 1;
  end loop;
  return v_n;
end
$$;

-- Apply movements: change the balances and append the ledger rows, together, in a fixed number of
-- statements (set-based, so the time spent holding the locks does not grow with per-row round trips).
-- Movement i is (_kinds[i], _batch_ids[i], _location_ids[i], _quantity_deltas[i], _committed_deltas[i],
-- _reasons[i]); movements of one balance apply in array order and each ledger row records the balance
-- after it. The caller holds the advisory locks of every (batch, location) and has checked availability;
-- the table constraints are the last line of defence (quantity >= 0, committed >= 0, committed <= quantity).
-- Internal (no grant): runs as lotline_auth inside the definers below.
create or replace function app.stock_apply(
  _brand_id uuid, _kinds text[], _batch_ids uuid[], _location_ids uuid[],
  _quantity_deltas numeric[], _committed_deltas numeric[], _reasons text[] default null,
  _inbound_id uuid default null, _transfer_id uuid default null
)
returns integer
language plpgsql volatile security invoker set search_path = ''
as $$
declare
  v_moves integer := coalesce(cardinality(_kinds), 0);
  v_n integer;
begin
  if v_moves = 0 then return 0; end if;
  if 0 < any (_quantity_deltas) then
    -- first movement at a (batch, location): create its balance row (guarded by the advisory lock)
    insert into data.stock (brand_id, batch_id, location_id)
    select distinct _brand_id, m.batch_id, m.location_id
      from unnest(_batch_ids, _location_ids, _quantity_deltas) as m (batch_id, location_id, dq)
     where m.dq > 0
    on conflict (brand_id, batch_id, location_id) do nothing;
  end if;
  with m as (
    select * from unnest(_kinds, _batch_ids, _location_ids, _quantity_deltas, _committed_deltas, _reasons)
                  with ordinality as m (kind, batch_id, location_id, dq, dc, reason, ord)
  ), d as (
    select m.batch_id, m.location_id, sum(m.dq) as dq, sum(m.dc) as dc from m group by m.batch_id, m.location_id
  ), u as (
    update data.stock s
       set quantity = s.quantity + d.dq, committed = s.committed + d.dc, updated_at = pg_catalog.now()
      from d
     where s.brand_id = _brand_id and s.batch_id = d.batch_id and s.location_id = d.location_id
    returning s.batch_id, s.location_id, s.quantity, s.committed
  )
  insert into data.stock_movements (brand_id, kind, batch_id, location_id, quantity_delta, committed_delta,
                                    quantity_after, committed_after, reason, inbound_id, transfer_id, actor)
  select _brand_id, m.kind, m.batch_id, m.location_id, m.dq, m.dc,
         u.quantity - coalesce(sum(m.dq) over later, 0), u.committed - coalesce(sum(m.dc) over later, 0),
         m.reason, _inbound_id, _transfer_id, coalesce(app.current_user_id(), 'system')
    from m join u on u.batch_id = m.batch_id and u.location_id = m.location_id
  window later as (partition by m.batch_id, m.location_id order by m.ord rows between 1 following and unbounded following)
   order by m.ord;
  get diagnostics v_n = row_count;
  if v_n <> v_moves then
    -- a movement out of a balance that does not exist (callers check availability first)
    perform app.raise('PT409', 'No stock to take from at one of the locations',
                      jsonb_build_object('rule', 'available', 'movements', v_moves, 'applied', v_n));
  end if;
  return v_n;
end
$$;

-- Next human number of a kind per brand (TR-000001, IN-000001). Gapless: a rolled-back transaction
-- rolls its increment back. Holds the counter row lock until commit: creations of one kind serialize
-- per brand. Call it before app.stock_lock (lock order above). Internal (no grant).
create or replace function app.inventory_next_number(_brand_id uuid, _name text, _prefix text)
returns text
language plpgsql volatile security invoker set search_path = ''
as $$
declare v bigint;
begin
  insert into data.brand_counters as c (brand_id, name, value) values (_brand_id, _name, 1)
  on conflict (brand_id, name) do update set value = c.value + 1
  returning c.value into v;
  return _prefix || '-' || case when v < 1000000 then lpad(v::text, 6, '0') else v::text end;
end
$$;

-- A live location that stock may be put into: locked FOR SHARE (archive_location waits for us, and we for
-- it), 404 when absent, 409 when archived. Internal (no grant).
create or replace function app.inventory_location_for_write(_brand_id uuid, _location_id uuid, _field text)
returns data.locations
language plpgsql volatile security invoker set search_path = ''
as $$
declare v data.locations;
begin
  if _location_id is null then
    perform app.invalid(_field, 'required', format('%s is required', _field));
  end if;
  select * into v from data.locations l where l.brand_id = _brand_id and l.id = _location_id for share;
  if not found then
    perform app.raise('PT404', format('Location %s not found', _location_id), jsonb_build_object('field', _field, 'rule', 'exists'));
  end if;
  if v.archived_at is not null then
    perform app.raise('PT409', format('Location "%s" is archived and takes no stock', v.name),
                      jsonb_build_object('field', _field, 'rule', 'state', 'state', 'archived', 'location_id', _location_id));
  end if;
  return v;
end
$$;

-- 404 naming the first line whose batch is not in the brand. _lines: [{batch_id, index}]. Internal.
create or replace function app.inventory_check_batches(_brand_id uuid, _lines jsonb, _field text default '_lines')
returns void
language plpgsql volatile security invoker set search_path = ''
as $$
declare r record;
begin
  select l.batch_id, l.index into r
    from jsonb_to_recordset(_lines) as l (batch_id uuid, index integer)
   where not exists (select from data.batches b where b.brand_id = _brand_id and b.id = l.batch_id)
   order by l.index limit 1;
  if found then
    perform app.raise('PT404', format('Batch %s not found', r.batch_id),
                      jsonb_build_object('field', format('%s[%s].batch_id', _field, r.index), 'rule', 'exists', 'batch_id', r.batch_id));
  end if;
end
$$;

-- Raise 409 PT409 when some lines need more than is available at the location. _needs:
-- [{batch_id, index, requested, need}] where need is what must still be reserved (requested minus what
-- this transfer already holds). The message names the first batch and its shortfall; details list all.
-- Call while holding the advisory locks. Internal (no grant).
create or replace function app.stock_check_available(_brand_id uuid, _location_id uuid, _needs jsonb, _field text default '_lines')
returns void
language plpgsql volatile security invoker set search_path = ''
as $$
declare
  v_short jsonb;
  v_first jsonb;
  v_location text;
begin
  select jsonb_agg(jsonb_build_object(
           'field', format('%s[%s].quantity', _field, n.index), 'batch_id', n.batch_id, 'batch_number', b.batch_number,
           'requested', n.requested, 'available', n.requested - n.need + coalesce(s.available, 0),
           'shortfall', n.need - coalesce(s.available, 0)) order by n.index)
    into v_short
    from jsonb_to_recordset(_needs) as n (batch_id uuid, index integer, requested numeric, need numeric)
    left join data.stock s on s.brand_id = _brand_id and s.batch_id = n.batch_id and s.location_id = _location_id
    left join data.batches b on b.brand_id = _brand_id and b.id = n.batch_id
   where n.need > 0 and n.need > coalesce(s.available, 0);
  if v_short is null then return; end if;
  v_first := v_short -> 0;
  select l.name into v_location from data.locations l where l.brand_id = _brand_id and l.id = _location_id;
  perform app.raise('PT409',
    format('Insufficient stock of batch "%s" (%s) at location "%s": requested %s, available %s, short by %s',
           v_first ->> 'batch_number', v_first ->> 'batch_id', v_location, v_first ->> 'requested',
           v_first ->> 'available', v_first ->> 'shortfall'),
    jsonb_build_object('field', v_first ->> 'field', 'rule', 'available', 'batch_id', v_first -> 'batch_id',
                       'batch_number', v_first -> 'batch_number', 'location_id', _location_id,
                       'requested', v_first -> 'requested', 'available', v_first -> 'available',
                       'shortfall', v_first -> 'shortfall', 'shortfalls', v_short));
end
$$;

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

-------------------------------------------------------------------------------------------------------
-- Definers (owned by lotline_auth). Each checks the caller first.
-------------------------------------------------------------------------------------------------------

-- Book an inbound receipt. _lines (already validated by api.receive_inbound, batches created or found):
-- [{line_no, product_id, batch_id, quantity, expiry_date, batch_created}]. Returns the inbound id.
create or replace function app.inventory_receive(_brand_id uuid, _location_id uuid, _reference text,
                                                 _external_reference text, _note text, _lines jsonb)
returns uuid
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_id uuid := gen_random_uuid();
  v_number text;
  v_existing uuid;
  r record;
begin
  perform app.require_role(_brand_id, 'editor', 'inventory:write');
  perform app.inventory_location_for_write(_brand_id, _location_id, '_location_id');
  if _lines is null or jsonb_typeof(_lines) <> 'array' or jsonb_array_length(_lines) = 0 then
    perform app.invalid('_lines', 'min_items', '_lines must have at least one line');
  end if;
  -- every line's batch belongs to its product in this brand
  select l.line_no into r from jsonb_to_recordset(_lines) as l (line_no integer, product_id uuid, batch_id uuid)
   where not exists (select from data.batches b where b.brand_id = _brand_id and b.id = l.batch_id and b.product_id = l.product_id)
   limit 1;
  if found then
    perform app.raise('PT404', format('Batch of line %s not found for its product', r.line_no),
                      jsonb_build_object('field', format('_lines[%s].batch_id', r.line_no - 1), 'rule', 'exists'));
  end if;

  v_number := app.inventory_next_number(_brand_id, 'inbound', 'IN');
  perform app.stock_lock(_brand_id,
    array(select (e ->> 'batch_id')::uuid from jsonb_array_elements(_lines) e),
    array_fill(_location_id, array[jsonb_array_length(_lines)]));
  insert into data.inbounds (brand_id, id, number, location_id, reference, external_reference, note, created_by)
  values (_brand_id, v_id, v_number, _location_id, _reference, _external_reference, _note, app.current_user_id())
  on conflict (brand_id, external_reference) do nothing;
  if not found then
    select i.id into v_existing from data.inbounds i where i.brand_id = _brand_id and i.external_reference = _external_reference;
    perform app.raise('23505', format('An inbound with external reference "%s" was already received', _external_reference),
                      jsonb_build_object('field', '_external_reference', 'rule', 'unique', 'value', _external_reference,
                                         'inbound_id', v_existing));
  end if;
  insert into data.inbound_lines (brand_id, inbound_id, line_no, product_id, batch_id, quantity, expiry_date, batch_created)
  select _brand_id, v_id, l.line_no, l.product_id, l.batch_id, l.quantity, l.expiry_date, coalesce(l.batch_created, false)
    from jsonb_to_recordset(_lines) as l (line_no integer, product_id uuid, batch_id uuid, quantity numeric,
                                          expiry_date date, batch_created boolean);
  perform app.stock_apply(_brand_id, k.kinds, k.batches, k.locations, k.dq, k.dc, null, v_id, null)
     from (select array_agg('receipt'::text order by l.line_no) as kinds, array_agg(l.batch_id order by l.line_no) as batches,
                  array_agg(_location_id order by l.line_no) as locations, array_agg(l.quantity order by l.line_no) as dq,
                  array_agg(0::numeric order by l.line_no) as dc
             from jsonb_to_recordset(_lines) as l (line_no integer, batch_id uuid, quantity numeric)) k;
  return v_id;
end
$$;
alter function app.inventory_receive(uuid, uuid, text, text, text, jsonb) owner to lotline_auth;
comment on function app.inventory_receive(uuid, uuid, text, text, text, jsonb) is
  'Definer: inbounds, inbound_lines, stock and the ledger have no write grant for callers; books a receipt for an editor (checked first).';

-- Adjust the quantity of a batch at a location by _delta (≠ 0) with a reason. A negative adjustment may not
-- take the quantity below what is committed (409 naming the shortfall).
create or replace function app.inventory_adjust(_brand_id uuid, _batch_id uuid, _location_id uuid, _delta numeric, _reason text)
returns void
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_reason text;
  v_stock data.stock;
  v_batch data.batches;
  v_location data.locations;
begin
  perform app.require_role(_brand_id, 'editor', 'inventory:write');
  if _delta is null or _delta = 0 then
    perform app.invalid('_delta', 'nonzero', '_delta is required and must not be 0');
  end if;
  perform app.check_quantity(abs(_delta), '_delta');
  v_reason := app.check_text(_reason, '_reason', 2000);
  if _batch_id is null then
    perform app.invalid('_batch_id', 'required', '_batch_id is required');
  end if;
  select * into v_batch from data.batches b where b.brand_id = _brand_id and b.id = _batch_id;
  if not found then
    perform app.raise('PT404', format('Batch %s not found', _batch_id), jsonb_build_object('field', '_batch_id', 'rule', 'exists'));
  end if;
  if _delta > 0 then
    v_location := app.inventory_location_for_write(_brand_id, _location_id, '_location_id');
  else
    if _location_id is null then
      perform app.invalid('_location_id', 'required', '_location_id is required');
    end if;
    select * into v_location from data.locations l where l.brand_id = _brand_id and l.id = _location_id;
    if not found then
      perform app.raise('PT404', format('Location %s not found', _location_id), jsonb_build_object('field', '_location_id', 'rule', 'exists'));
    end if;
  end if;

  perform app.stock_lock(_brand_id, array[_batch_id], array[_location_id]);
  if _delta < 0 then
    select * into v_stock from data.stock s
     where s.brand_id = _brand_id and s.batch_id = _batch_id and s.location_id = _location_id;
    if coalesce(v_stock.available, 0) < -_delta then
      perform app.raise('PT409',
        format('Adjustment of %s would take batch "%s" at location "%s" below its committed quantity: quantity %s, committed %s, available %s, short by %s',
               _delta, v_batch.batch_number, v_location.name, coalesce(v_stock.quantity, 0), coalesce(v_stock.committed, 0),
               coalesce(v_stock.available, 0), -_delta - coalesce(v_stock.available, 0)),
        jsonb_build_object('field', '_delta', 'rule', 'available', 'batch_id', _batch_id, 'batch_number', v_batch.batch_number,
                           'location_id', _location_id, 'quantity', coalesce(v_stock.quantity, 0),
                           'committed', coalesce(v_stock.committed, 0), 'available', coalesce(v_stock.available, 0),
                           'shortfall', -_delta - coalesce(v_stock.available, 0)));
    end if;
  end if;
  perform app.stock_apply(_brand_id, array['adjustment'], array[_batch_id], array[_location_id], array[_delta],
                          array[0::numeric], array[v_reason], null, null);
end
$$;
alter function app.inventory_adjust(uuid, uuid, uuid, numeric, text) owner to lotline_auth;
comment on function app.inventory_adjust(uuid, uuid, uuid, numeric, text) is
  'Definer: stock and the ledger have no write grant for callers; adjusts for an editor (checked first), never below committed.';

-- Lock a transfer for an action: 404, 403 (update/cancel: its creator or an admin), 409 unless pending.
-- _role is the caller's role as returned by app.require_role. Internal (no grant).
create or replace function app.transfer_for_action(_brand_id uuid, _transfer_id uuid, _action text, _role text)
returns data.transfers
language plpgsql volatile security invoker set search_path = ''
as $$
declare v data.transfers;
begin
  if _transfer_id is null then
    perform app.invalid('_transfer_id', 'required', '_transfer_id is required');
  end if;
  select * into v from data.transfers t where t.brand_id = _brand_id and t.id = _transfer_id for update;
  if not found then
    perform app.raise('PT404', format('Transfer %s not found', _transfer_id), jsonb_build_object('field', '_transfer_id', 'rule', 'exists'));
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
    -- lock the source balances of every batch in the old or the new lines
    perform app.stock_lock(_brand_id, k.batches, array_fill(v_t.from_location_id, array[cardinality(k.batches)]))
       from (select array(select (e ->> 'batch_id')::uuid from jsonb_array_elements(_lines || v_old) e) as batches) k;
    -- what must still be reserved: the increase of each line
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
      insert into data.transfer_lines (brand_id, transfer_id, batch_id, quantity)
      select _brand_id, _transfer_id, l.batch_id, l.quantity from jsonb_to_recordset(_lines) as l (batch_id uuid, quantity numeric);
    end if;
  end if;

  if v_changed then
    update data.transfers t
       set to_location_id = v_t.to_location_id, note = v_t.note, updated_by = app.current_user_id(),
           updated_at = greatest(pg_catalog.clock_timestamp(), t.updated_at), version = t.version + 1
     where t.brand_id = _brand_id and t.id = _transfer_id;
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
    else
      update data.transfers t
         set status = 'cancelled', cancelled_by = v_sub, cancelled_at = pg_catalog.now(), cancel_reason = v_reason,
             updated_by = v_sub, updated_at = greatest(pg_catalog.clock_timestamp(), t.updated_at), version = t.version + 1
       where t.brand_id = _brand_id and t.id = _transfer_id;
    end if;
  end if;
end
$$;
alter function app.transfer_finish(uuid, uuid, text, text) owner to lotline_auth;
comment on function app.transfer_finish(uuid, uuid, text, text) is
  'Definer: transfer status, stock and the ledger have no write grant for callers; accepts/declines for an admin, cancels for the creator or an admin (checked first).';

-- Archive a location: admin only, and only while it holds no stock and no pending transfer leaves or
-- enters it. The row lock (FOR UPDATE) conflicts with the FOR SHARE that receipts, adjustments and
-- transfers take on a location they put stock into, so the check cannot be overtaken.
create or replace function app.location_archive(_brand_id uuid, _location_id uuid)
returns void
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_row data.locations;
  v_stock numeric;
  v_pending bigint;
begin
  perform app.require_role(_brand_id, 'admin', 'inventory:write');
  if _location_id is null then
    perform app.invalid('_location_id', 'required', '_location_id is required');
  end if;
  select * into v_row from data.locations l where l.brand_id = _brand_id and l.id = _location_id for update;
  if not found then
    perform app.raise('PT404', format('Location %s not found', _location_id), jsonb_build_object('field', '_location_id', 'rule', 'exists'));
  end if;
  if v_row.archived_at is not null then
    perform app.raise('PT409', format('Location "%s" is already archived', v_row.name),
                      jsonb_build_object('field', '_location_id', 'rule', 'state', 'state', 'archived'));
  end if;
  select coalesce(sum(s.quantity), 0) into v_stock from data.stock s where s.brand_id = _brand_id and s.location_id = _location_id;
  if v_stock > 0 then
    perform app.raise('PT409', format('Location "%s" still holds stock (%s); move or adjust it out before archiving', v_row.name, v_stock),
                      jsonb_build_object('field', '_location_id', 'rule', 'empty', 'state', 'has_stock', 'quantity', v_stock));
  end if;
  select count(*) into v_pending from data.transfers t
   where t.brand_id = _brand_id and t.status = 'pending' and (t.from_location_id = _location_id or t.to_location_id = _location_id);
  if v_pending > 0 then
    perform app.raise('PT409', format('Location "%s" has %s pending transfer(s); accept, decline or cancel them before archiving', v_row.name, v_pending),
                      jsonb_build_object('field', '_location_id', 'rule', 'no_pending_transfers', 'state', 'pending_transfers', 'pending', v_pending));
  end if;
  update data.locations l set archived_at = pg_catalog.now() where l.brand_id = _brand_id and l.id = _location_id;
end
$$;
alter function app.location_archive(uuid, uuid) owner to lotline_auth;
comment on function app.location_archive(uuid, uuid) is
  'Definer: archived_at has no update grant for callers (an archived location takes no stock); archives for an admin (checked first) only when empty.';

-- Internal helpers run as lotline_auth inside the definers; nobody else may call them.
alter function app.stock_lock(uuid, uuid[], uuid[]) owner to lotline_auth;
alter function app.stock_apply(uuid, text[], uuid[], uuid[], numeric[], numeric[], text[], uuid, uuid) owner to lotline_auth;
alter function app.inventory_next_number(uuid, text, text) owner to lotline_auth;
alter function app.inventory_location_for_write(uuid, uuid, text) owner to lotline_auth;
alter function app.inventory_check_batches(uuid, jsonb, text) owner to lotline_auth;
alter function app.stock_check_available(uuid, uuid, jsonb, text) owner to lotline_auth;
alter function app.transfer_for_action(uuid, uuid, text, text) owner to lotline_auth;
revoke execute on function app.stock_lock(uuid, uuid[], uuid[]),
  app.stock_apply(uuid, text[], uuid[], uuid[], numeric[], numeric[], text[], uuid, uuid),
  app.inventory_next_number(uuid, text, text), app.inventory_location_for_write(uuid, uuid, text),
  app.inventory_check_batches(uuid, jsonb, text), app.stock_check_available(uuid, uuid, jsonb, text),
  app.transfer_for_action(uuid, uuid, text, text),
  app.inventory_receive(uuid, uuid, text, text, text, jsonb), app.inventory_adjust(uuid, uuid, uuid, numeric, text),
  app.transfer_create(uuid, uuid, uuid, jsonb, text), app.transfer_update(uuid, uuid, jsonb, uuid, text, integer),
  app.transfer_finish(uuid, uuid, text, text), app.location_archive(uuid, uuid) from public;
grant execute on function app.stock_lock_key(uuid, uuid, uuid) to lotline_auth, authenticated;
grant execute on function app.parse_transfer_lines(jsonb, text) to authenticated, lotline_auth;
grant execute on function app.inventory_receive(uuid, uuid, text, text, text, jsonb), app.inventory_adjust(uuid, uuid, uuid, numeric, text),
  app.transfer_create(uuid, uuid, uuid, jsonb, text), app.transfer_update(uuid, uuid, jsonb, uuid, text, integer),
  app.transfer_finish(uuid, uuid, text, text), app.location_archive(uuid, uuid) to authenticated;
