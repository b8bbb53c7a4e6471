-- Inventory: the stock ledger primitives every inventory writer uses (receipts.sql, adjustments.sql,
-- transfers.sql, locations.sql). docs/inventory.md describes the model.
--
-- Why definers: data.stock, data.stock_movements, data.inbounds(+lines) and data.transfers(+lines) have no
-- write grant for `authenticated`, so no caller (HTTP or SQL door) can change a balance without the
-- matching ledger row, reserve without a transfer, or flip a transfer's status without moving stock.
-- The inventory definers are owned by lotline_auth (BYPASSRLS), check the caller themselves first
-- (app.require_role), and each keeps every invariant on its own.
--
-- Locking (ERPNext's and Odoo's lessons, notes/perf-reliability-anchors.md §5.4), always in this order:
--   1. the transfer row (select … for update) when the operation is on a transfer;
--   1b. batch rows, in (product_id, batch_number) order: FOR SHARE by app.assert_stock_usable
--      (stock-usable.sql) on every path that takes stock — reservations, accepts, productions — so a recall
--      (which updates them) and such a path exclude each other; receipts create and update batches in that
--      order too. The genealogy writers take the brand's genealogy lock just before these
--      (sql/traceability/genealogy.sql);
--   2. location rows `for share` when stock may be put into them (archive_location takes the row
--      `for update`, so a location cannot be archived under a running receipt or transfer);
--   3. the brand counter row (transfer / inbound number) when the call creates one. Before the stock
--      locks, so a creator waiting for the counter holds no stock lock that accepts would queue behind;
--   4. a transaction-scoped advisory lock per (brand, batch, location), all taken up front, in the order
--      of their 64-bit keys (app.stock_lock). This also guards the FIRST movement at a (batch, location)
--      whose stock row does not exist yet, which row locks cannot do. Availability is read only after.
-- Every writer takes these in this order and never waits for an earlier one after a later one, so
-- writers never deadlock one another.

-- 64-bit advisory lock key of one stock balance.
create or replace function app.stock_lock_key(_brand_id uuid, _batch_id uuid, _location_id uuid)
returns bigint
language sql immutable parallel safe security invoker set search_path = ''
as $$
  select pg_catalog.hashtextextended('lotline.stock:' || _brand_id::text || ':' || _batch_id::text || ':' || _location_id::text, 0)
$$;

-- Take the advisory locks of all (batch, location) pairs a transaction will touch, deduplicated and
-- sorted by key (not by ids: two pairs whose hashes collide then still lock in one global order).
-- Transaction-scoped: released at commit or rollback. Internal (no grant): called by the inventory definers.
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
-- _inbound_id / _transfer_id / _trace_event_id / _pick_id: what caused the movements (receipts, transfers,
-- genealogy events, pick lists; the ledger's check says which kind needs which).
-- Internal (no grant): runs as lotline_auth inside the inventory, traceability and pick definers.
drop function if exists app.stock_apply(uuid, text[], uuid[], uuid[], numeric[], numeric[], text[], uuid, uuid);
drop function if exists app.stock_apply(uuid, text[], uuid[], uuid[], numeric[], numeric[], text[], uuid, uuid, uuid, uuid);
create or replace function app.stock_apply(
  _brand_id uuid, _kinds text[], _batch_ids uuid[], _location_ids uuid[],
  _quantity_deltas numeric[], _committed_deltas numeric[], _reasons text[] default null,
  _inbound_id uuid default null, _transfer_id uuid default null, _trace_event_id uuid default null,
  _pick_id uuid default null
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
                                    quantity_after, committed_after, reason, inbound_id, transfer_id, trace_event_id, pick_id, actor)
  select _brand_id, m.kind, m.batch_id, m.location_id, m.dq, m.dc,
         u.quantity - coalesce(sum(m.dq) over later, 0), u.committed - coalesce(sum(m.dc) over later, 0),
         m.reason, _inbound_id, _transfer_id, _trace_event_id, _pick_id, coalesce(app.current_user_id(), 'system')
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
-- 404 naming the first line whose batch is not in the brand (or not visible to the caller). _lines: [{batch_id, index}].
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
    perform app.not_found('Batch', r.batch_id, format('%s[%s].batch_id', _field, r.index), jsonb_build_object('batch_id', r.batch_id));
  end if;
end
$$;

-- Raise 409 PT409 when some lines need more than is available at the location. _needs:
-- [{batch_id, index, requested, need, field?}] where need is what must still be reserved (requested minus what
-- this transfer already holds) and field, when given, names the argument instead of `_field[index].quantity`.
-- The message names the first batch and its shortfall; details list all.
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
           'field', coalesce(n.field, format('%s[%s].quantity', _field, n.index)), 'batch_id', n.batch_id, 'batch_number', b.batch_number,
           'requested', n.requested, 'available', n.requested - n.need + coalesce(s.available, 0),
           'shortfall', n.need - coalesce(s.available, 0)) order by n.index)
    into v_short
    from jsonb_to_recordset(_needs) as n (batch_id uuid, index integer, requested numeric, need numeric, field text)
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
-- Internal helpers run as lotline_auth inside the definers; nobody else may call them.
alter function app.stock_lock(uuid, uuid[], uuid[]) owner to lotline_auth;
alter function app.stock_apply(uuid, text[], uuid[], uuid[], numeric[], numeric[], text[], uuid, uuid, uuid, uuid) owner to lotline_auth;
alter function app.inventory_next_number(uuid, text, text) owner to lotline_auth;
alter function app.inventory_check_batches(uuid, jsonb, text) owner to lotline_auth;
alter function app.stock_check_available(uuid, uuid, jsonb, text) owner to lotline_auth;
revoke execute on function app.stock_lock(uuid, uuid[], uuid[]),
  app.stock_apply(uuid, text[], uuid[], uuid[], numeric[], numeric[], text[], uuid, uuid, uuid, uuid),
  app.inventory_next_number(uuid, text, text), app.inventory_check_batches(uuid, jsonb, text),
  app.stock_check_available(uuid, uuid, jsonb, text) from public;
-- a read-only check, also used by invoker api functions (traceability) before they call a definer
grant execute on function app.inventory_check_batches(uuid, jsonb, text) to authenticated;
grant execute on function app.stock_lock_key(uuid, uuid, uuid) to lotline_auth, authenticated;
