-- Traceability: the genealogy lock, the cycle guard, and the one writer of genealogy events, edges and their
-- stock movements. docs/traceability.md describes the model.
--
-- Locking order (extends docs/inventory.md's; every writer takes what it needs in this order, so none waits
-- for an earlier lock while holding a later one):
--   1. the transfer row (transfer actions) — never taken together with 2;
--   2. the genealogy lock of the brand: its `genealogy` row in data.brand_counters (app.genealogy_lock), taken
--      by produce/split/merge (before they create output batches), recall and lift, and again by the edge
--      trigger (a no-op when already held). It serialises all genealogy writers of one brand, so the cycle
--      check and the recall's downstream walk read a graph nobody else is changing;
--   3. batch rows: FOR SHARE by app.assert_stock_usable (every path that takes stock), FOR UPDATE by recall,
--      lift and status changes — always in (product_id, batch_number) order, as receipts create batches;
--   4. location rows FOR SHARE where stock is put;
--   5. the brand counter rows for human numbers (TR-, IN-, RC-);
--   6. the stock advisory locks (app.stock_lock), all at once in key order.

-- Take the genealogy lock of a brand (2. above): an upsert of its `genealogy` counter row, held until commit.
-- Under READ COMMITTED a waiter continues with a fresh snapshot and sees the edges the holder committed; under
-- REPEATABLE READ or SERIALIZABLE a waiter whose snapshot predates them gets 40001 (retry), never a stale check.
-- A definer (lotline_auth): data.brand_counters has no write grant for callers, and the invoker api functions
-- (produce, split, merge) take this lock themselves; it locks only a brand the caller is a member of (or, for the
-- cycle trigger under a superuser's direct insert, any).
create or replace function app.genealogy_lock(_brand_id uuid)
returns bigint
language plpgsql volatile security definer set search_path = ''
as $$
declare v bigint;
begin
  if _brand_id is null or not (_brand_id = any (app.current_brand_ids())
                                 -- a superuser's session without a request identity (a DBA's direct insert)
                                 or (app.current_user_id() is null
                                     and exists (select from pg_catalog.pg_roles r where r.rolname = session_user and r.rolsuper))) then
    perform app.raise('42501', 'not a member of this brand', jsonb_build_object('field', '_brand_id', 'rule', 'member'));
  end if;
  insert into data.brand_counters as c (brand_id, name, value) values (_brand_id, 'genealogy', 1)
  on conflict (brand_id, name) do update set value = c.value + 1
  returning c.value into v;
  return v;
end
$$;
alter function app.genealogy_lock(uuid) owner to lotline_auth;

-- The first (input, output) pair of planned or new edges for which the input is reachable from the output
-- through the stored edges — i.e. the pair that closes a cycle — or null. UNION keeps the walk finite even
-- over a (corrupt) cyclic graph.
create or replace function app.genealogy_cycle(_brand_id uuid, _inputs uuid[], _outputs uuid[])
returns uuid[]
language sql stable security invoker set search_path = ''
as $$
  with recursive reach (origin, start, node) as (
    select p.i, p.o, p.o from unnest(_inputs, _outputs) as p (i, o)
    union
    select r.origin, r.start, e.output_batch_id
      from reach r join data.genealogy_edges e on e.brand_id = _brand_id and e.input_batch_id = r.node
  )
  select array[r.origin, r.start] from reach r where r.node = r.origin limit 1
$$;

-- AFTER INSERT (per statement) on data.genealogy_edges: under the genealogy lock of each brand concerned,
-- refuse the statement when one of its edges closes a cycle (409). The writers check the same before inserting
-- (naming the argument); this trigger is the guard for every other path.
create or replace function app.tg__genealogy_no_cycle()
returns trigger
language plpgsql volatile security invoker set search_path = ''
as $$
declare
  r record;
  v_pair uuid[];
begin
  for r in select n.brand_id, array_agg(n.input_batch_id) as inputs, array_agg(n.output_batch_id) as outputs
             from new_edges n group by n.brand_id order by n.brand_id loop
    perform app.genealogy_lock(r.brand_id);
    v_pair := app.genealogy_cycle(r.brand_id, r.inputs, r.outputs);
    if v_pair is not null then
      perform app.raise('PT409', format('Genealogy edge %s → %s would close a cycle: %s is already made from %s',
                                        v_pair[1], v_pair[2], v_pair[1], v_pair[2]),
                        jsonb_build_object('rule', 'cycle', 'input_batch_id', v_pair[1], 'output_batch_id', v_pair[2]));
    end if;
  end loop;
  return null;
end
$$;

-- First free batch number `_prefix || k` (k = 1, 2, …) for a product, skipping numbers in _taken.
create or replace function app.genealogy_free_number(_brand_id uuid, _product_id uuid, _prefix text, _taken text[] default '{}')
returns text
language plpgsql stable security invoker set search_path = ''
as $$
declare
  v_prefix text := left(_prefix, 90);
  k integer := 1;
begin
  while (v_prefix || k) = any (coalesce(_taken, '{}'))
     or exists (select from data.batches b where b.brand_id = _brand_id and b.product_id = _product_id and b.batch_number = v_prefix || k) loop
    k := k + 1;
  end loop;
  return v_prefix || k;
end
$$;

-- The input lines of a production or merge: [{batch_id, quantity > 0}], 1–100, one per batch (400 naming
-- `_inputs[i].<key>` otherwise); returned with their index, sorted by batch_id.
create or replace function app.genealogy_inputs(_inputs jsonb)
returns jsonb
language plpgsql immutable security invoker set search_path = ''
as $$
declare v jsonb := app.parse_transfer_lines(_inputs, '_inputs');
begin
  if jsonb_array_length(v) > 100 then
    perform app.invalid('_inputs', 'max_items', '_inputs must have at most 100 lines');
  end if;
  return v;
end
$$;

-- trace_batch's argument checks (it is a single SQL query otherwise): who may read, bounds, the batch exists.
create or replace function app.trace_batch_check(_brand_id uuid, _batch_id uuid, _direction text, _max_depth integer, _max_edges integer)
returns void
language plpgsql stable security invoker set search_path = ''
as $$
begin
  perform app.require_role(_brand_id, 'viewer', 'trace:read');
  if _batch_id is null then
    perform app.invalid('_batch_id', 'required', '_batch_id is required');
  end if;
  if _direction is null or _direction not in ('up', 'down', 'both') then
    perform app.invalid('_direction', 'enum', '_direction must be up, down or both');
  end if;
  if _max_depth is null or _max_depth < 1 or _max_depth > 100 then
    perform app.invalid('_max_depth', 'range', '_max_depth must be between 1 and 100');
  end if;
  if _max_edges is null or _max_edges < 1 or _max_edges > 100000 then
    perform app.invalid('_max_edges', 'range', '_max_edges must be between 1 and 100000');
  end if;
  if not exists (select from data.batches b where b.brand_id = _brand_id and b.id = _batch_id) then
    perform app.raise('PT404', format('Batch %s not found', _batch_id), jsonb_build_object('field', '_batch_id', 'rule', 'exists'));
  end if;
end
$$;

-- Record one production / repack / split / merge: check, lock, consume the inputs at _location_id, produce the
-- outputs, write the event and its edges — all or nothing. The api functions validate the request and create
-- the output batches first; this definer re-checks everything it relies on, so a direct call cannot break a rule.
--   _inputs:  [{batch_id, quantity, field?, quantity_field?}]      taken at _location_id
--   _outputs: [{batch_id, quantity, location_id, field?, location_field?}]
--   _edges:   [{input_batch_id, output_batch_id, quantity}]        per input, the edges add up to its quantity
-- field / quantity_field / location_field name the argument in errors (default `_inputs[i].batch_id` …).
create or replace function app.genealogy_record(_brand_id uuid, _kind text, _location_id uuid, _inputs jsonb,
                                                _outputs jsonb, _edges jsonb, _note text)
returns uuid
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_id uuid := gen_random_uuid();
  v_in jsonb;
  v_out jsonb;
  v_pair uuid[];
  r record;
begin
  perform app.require_role(_brand_id, 'editor', 'trace:write');
  if _kind is null or _kind not in ('production', 'repack', 'split', 'merge') then
    perform app.invalid('_kind', 'enum', '_kind must be production, repack, split or merge');
  end if;
  if jsonb_typeof(_inputs) is distinct from 'array' or jsonb_array_length(_inputs) = 0
     or jsonb_typeof(_outputs) is distinct from 'array' or jsonb_array_length(_outputs) = 0
     or jsonb_typeof(_edges) is distinct from 'array' or jsonb_array_length(_edges) = 0 then
    perform app.invalid('_inputs', 'min_items', 'an event needs at least one input, one output and one edge');
  end if;
  -- normalise: index, field names; quantities > 0
  select jsonb_agg(jsonb_build_object('batch_id', (e ->> 'batch_id')::uuid, 'quantity', (e ->> 'quantity')::numeric,
                     'index', coalesce((e ->> 'index')::integer, i - 1),
                     'field', coalesce(e ->> 'field', format('_inputs[%s].batch_id', i - 1)),
                     'quantity_field', coalesce(e ->> 'quantity_field', format('_inputs[%s].quantity', i - 1)))
                   order by coalesce((e ->> 'index')::integer, i - 1))
    into v_in from jsonb_array_elements(_inputs) with ordinality as x (e, i);
  select jsonb_agg(jsonb_build_object('batch_id', (e ->> 'batch_id')::uuid, 'quantity', (e ->> 'quantity')::numeric,
                     'location_id', (e ->> 'location_id')::uuid, 'index', i - 1,
                     'field', coalesce(e ->> 'field', format('_outputs[%s].batch_id', i - 1)),
                     'location_field', coalesce(e ->> 'location_field', format('_outputs[%s].location_id', i - 1))) order by i)
    into v_out from jsonb_array_elements(_outputs) with ordinality as x (e, i);
  select x.f into r from (select e ->> 'quantity_field' as f from jsonb_array_elements(v_in) e
                           where coalesce((e ->> 'quantity')::numeric, 0) <= 0 or e ->> 'batch_id' is null
                          union all
                          select e ->> 'field' from jsonb_array_elements(v_out) e
                           where coalesce((e ->> 'quantity')::numeric, 0) <= 0 or e ->> 'batch_id' is null or e ->> 'location_id' is null) x
   limit 1;
  if found then
    perform app.invalid(r.f, 'positive', format('%s: every input and output needs a batch and a quantity > 0', r.f));
  end if;
  if (select count(distinct e ->> 'batch_id') from jsonb_array_elements(v_in) e) <> jsonb_array_length(v_in)
     or (select count(distinct (e ->> 'batch_id', e ->> 'location_id')) from jsonb_array_elements(v_out) e) <> jsonb_array_length(v_out) then
    perform app.invalid('_inputs', 'unique', 'each input batch (and each output batch per location) appears once');
  end if;
  -- an output that is also an input would be made from itself
  select o ->> 'field' as field, o ->> 'batch_id' as batch_id into r
    from jsonb_array_elements(v_out) o join jsonb_array_elements(v_in) i on i ->> 'batch_id' = o ->> 'batch_id' limit 1;
  if found then
    perform app.raise('PT409', format('Batch %s cannot be made from itself', r.batch_id),
                      jsonb_build_object('field', r.field, 'rule', 'cycle', 'input_batch_id', r.batch_id, 'output_batch_id', r.batch_id));
  end if;
  -- the edges join inputs to outputs and account for every consumed quantity
  if exists (select from jsonb_to_recordset(_edges) as e (input_batch_id uuid, output_batch_id uuid, quantity numeric)
              where e.quantity is null or e.quantity <= 0
                 or not exists (select from jsonb_array_elements(v_in) i where (i ->> 'batch_id')::uuid = e.input_batch_id)
                 or not exists (select from jsonb_array_elements(v_out) o where (o ->> 'batch_id')::uuid = e.output_batch_id))
     or exists (select from jsonb_array_elements(v_in) i
                 where (i ->> 'quantity')::numeric is distinct from
                       (select sum(e.quantity) from jsonb_to_recordset(_edges) as e (input_batch_id uuid, quantity numeric)
                         where e.input_batch_id = (i ->> 'batch_id')::uuid))
     or exists (select from jsonb_array_elements(v_out) o
                 where not exists (select from jsonb_to_recordset(_edges) as e (output_batch_id uuid)
                                    where e.output_batch_id = (o ->> 'batch_id')::uuid)) then
    perform app.invalid('_edges', 'consistent', 'every edge joins an input to an output, every output has an edge, and each input''s edges add up to its quantity');
  end if;

  perform app.inventory_check_batches(_brand_id, v_in, '_inputs');
  select o ->> 'field' as field, o ->> 'batch_id' as batch_id into r from jsonb_array_elements(v_out) o
   where not exists (select from data.batches b where b.brand_id = _brand_id and b.id = (o ->> 'batch_id')::uuid) limit 1;
  if found then
    perform app.raise('PT404', format('Batch %s not found', r.batch_id), jsonb_build_object('field', r.field, 'rule', 'exists'));
  end if;

  -- 2. genealogy lock; 3. batch rows (inputs usable: not recalled, held, archived or expired; outputs not
  -- recalled); then the rules that need them stable
  perform app.genealogy_lock(_brand_id);
  perform app.assert_stock_usable(_brand_id,
    array(select (e ->> 'batch_id')::uuid from jsonb_array_elements(v_in || v_out) e),
    array(select coalesce((e ->> 'location_id')::uuid, _location_id) from jsonb_array_elements(v_in || v_out) e),
    array(select e ->> 'field' from jsonb_array_elements(v_in || v_out) e),
    -- outputs only receive stock: only a recall refuses them (a new batch of a gated product is on hold)
    array_fill(false, array[jsonb_array_length(v_in)]) || array_fill(true, array[jsonb_array_length(v_out)]));
  perform app.genealogy_check_batches(_brand_id, _kind, v_in, v_out);
  v_pair := app.genealogy_cycle(_brand_id,
    array(select (e ->> 'input_batch_id')::uuid from jsonb_array_elements(_edges) e),
    array(select (e ->> 'output_batch_id')::uuid from jsonb_array_elements(_edges) e));
  if v_pair is not null then
    perform app.raise('PT409', format('Batch %s cannot be made from batch %s: %s is already made from it', v_pair[1], v_pair[2], v_pair[1]),
      jsonb_build_object('field', (select o ->> 'field' from jsonb_array_elements(v_out) o where (o ->> 'batch_id')::uuid = v_pair[2] limit 1),
                         'rule', 'cycle', 'input_batch_id', v_pair[1], 'output_batch_id', v_pair[2]));
  end if;

  -- 4. locations; 6. stock locks, then availability at the input location
  perform app.inventory_location_for_write(_brand_id, _location_id, '_location_id');
  for r in select distinct on ((o ->> 'location_id')::uuid) (o ->> 'location_id')::uuid as id, o ->> 'location_field' as field
             from jsonb_array_elements(v_out) o order by (o ->> 'location_id')::uuid, (o ->> 'index')::integer loop
    perform app.inventory_location_for_write(_brand_id, r.id, r.field);
  end loop;
  perform app.stock_lock(_brand_id,
    array(select (e ->> 'batch_id')::uuid from jsonb_array_elements(v_in || v_out) e),
    array(select coalesce((e ->> 'location_id')::uuid, _location_id) from jsonb_array_elements(v_in || v_out) e));
  perform app.stock_check_available(_brand_id, _location_id,
    (select jsonb_agg(jsonb_build_object('batch_id', e -> 'batch_id', 'index', e -> 'index', 'field', e -> 'quantity_field',
                                         'requested', e -> 'quantity', 'need', e -> 'quantity'))
       from jsonb_array_elements(v_in) e), '_inputs');

  insert into data.genealogy_events (brand_id, id, kind, location_id, note, created_by)
  values (_brand_id, v_id, _kind, _location_id, _note, app.current_user_id());
  insert into data.genealogy_edges (brand_id, input_batch_id, output_batch_id, event_id, kind, quantity, unit)
  select _brand_id, e.input_batch_id, e.output_batch_id, v_id, _kind, sum(e.quantity), min(b.unit)
    from jsonb_to_recordset(_edges) as e (input_batch_id uuid, output_batch_id uuid, quantity numeric)
    join data.batches b on b.brand_id = _brand_id and b.id = e.input_batch_id
   group by e.input_batch_id, e.output_batch_id;
  perform app.stock_apply(_brand_id, k.kinds, k.batches, k.locations, k.dq, k.dc, _trace_event_id => v_id)
     from (select array_agg(m.kind order by m.ord) as kinds, array_agg(m.batch_id order by m.ord) as batches,
                  array_agg(m.location_id order by m.ord) as locations, array_agg(m.dq order by m.ord) as dq,
                  array_agg(0::numeric order by m.ord) as dc
             from (select 'consumption'::text as kind, (e ->> 'batch_id')::uuid as batch_id, _location_id as location_id,
                          -(e ->> 'quantity')::numeric as dq, (e ->> 'index')::integer as ord
                     from jsonb_array_elements(v_in) e
                   union all
                   select 'production', (e ->> 'batch_id')::uuid, (e ->> 'location_id')::uuid, (e ->> 'quantity')::numeric,
                          100000 + (e ->> 'index')::integer
                     from jsonb_array_elements(v_out) e) m) k;
  return v_id;
end
$$;
alter function app.genealogy_record(uuid, text, uuid, jsonb, jsonb, jsonb, text) owner to lotline_auth;
comment on function app.genealogy_record(uuid, text, uuid, jsonb, jsonb, jsonb, text) is
  'Definer: genealogy events and edges, stock and the ledger have no write grant for callers; records a production, repack, split or merge for an editor (checked first).';

-- Rules on the batches of an event, read under their row locks: none archived; a split or merge stays within
-- one product, one status and one unit, and a merge never moves stock into a batch that expires later.
create or replace function app.genealogy_check_batches(_brand_id uuid, _kind text, _inputs jsonb, _outputs jsonb)
returns void
language plpgsql stable security invoker set search_path = ''
as $$
declare
  r record;
  v_first record;
begin
  select x.field, b.batch_number, b.id into r
    from jsonb_to_recordset(_inputs || _outputs) as x (batch_id uuid, field text)
    join data.batches b on b.brand_id = _brand_id and b.id = x.batch_id
   where b.status = 'archived' limit 1;
  if found then
    perform app.raise('PT409', format('Batch "%s" is archived: its stock can be neither taken nor added to', r.batch_number),
                      jsonb_build_object('field', r.field, 'rule', 'state', 'state', 'archived', 'batch_id', r.id));
  end if;
  if _kind not in ('split', 'merge') then return; end if;
  select b.product_id, b.status, b.unit, b.expiry_date into v_first
    from jsonb_to_recordset(_inputs) as x (batch_id uuid, index integer)
    join data.batches b on b.brand_id = _brand_id and b.id = x.batch_id order by x.index limit 1;
  for r in select x.field, b.* from jsonb_to_recordset(_inputs || _outputs) as x (batch_id uuid, field text)
             join data.batches b on b.brand_id = _brand_id and b.id = x.batch_id loop
    if r.product_id <> v_first.product_id then
      perform app.raise('PT409', format('Batch "%s" is of another product: a %s stays within one product', r.batch_number, _kind),
                        jsonb_build_object('field', r.field, 'rule', 'same_product', 'batch_id', r.id, 'product_id', r.product_id,
                                           'expected_product_id', v_first.product_id));
    end if;
    if r.status <> v_first.status then
      perform app.raise('PT409', format('Batch "%s" is %s, not %s: a %s joins batches of one status', r.batch_number, r.status, v_first.status, _kind),
                        jsonb_build_object('field', r.field, 'rule', 'same_status', 'batch_id', r.id, 'status', r.status,
                                           'expected_status', v_first.status));
    end if;
    if r.unit is distinct from v_first.unit then
      perform app.raise('PT409', format('Batch "%s" counts in %s, not %s', r.batch_number, coalesce(r.unit, 'no unit'), coalesce(v_first.unit, 'no unit')),
                        jsonb_build_object('field', r.field, 'rule', 'same_unit', 'batch_id', r.id, 'unit', r.unit, 'expected_unit', v_first.unit));
    end if;
  end loop;
  -- merging into an existing batch: no input may expire before it (that would extend the input's shelf life)
  select x.field, b.batch_number, b.id, b.expiry_date, t.expiry_date as target_expiry into r
    from jsonb_to_recordset(_inputs) as x (batch_id uuid, field text)
    join data.batches b on b.brand_id = _brand_id and b.id = x.batch_id
    join jsonb_to_recordset(_outputs) as o (batch_id uuid) on true
    join data.batches t on t.brand_id = _brand_id and t.id = o.batch_id
   where _kind = 'merge' and t.expiry_date is not null and (b.expiry_date is null or b.expiry_date < t.expiry_date)
   order by b.expiry_date nulls first limit 1;
  if found then
    perform app.raise('PT409', format('Batch "%s" expires %s, before the batch it would be merged into (%s)',
                                      r.batch_number, coalesce(r.expiry_date::text, 'never set'), r.target_expiry),
                      jsonb_build_object('field', r.field, 'rule', 'expiry', 'batch_id', r.id, 'expiry_date', r.expiry_date,
                                         'target_expiry_date', r.target_expiry));
  end if;
end
$$;

alter function app.genealogy_check_batches(uuid, text, jsonb, jsonb) owner to lotline_auth;
revoke execute on function app.genealogy_record(uuid, text, uuid, jsonb, jsonb, jsonb, text),
  app.genealogy_check_batches(uuid, text, jsonb, jsonb) from public;
grant execute on function app.genealogy_lock(uuid), app.genealogy_cycle(uuid, uuid[], uuid[]),
  app.trace_batch_check(uuid, uuid, text, integer, integer), app.genealogy_inputs(jsonb),
  app.genealogy_free_number(uuid, uuid, text, text[]), app.tg__genealogy_no_cycle() to authenticated, lotline_auth;
grant execute on function app.genealogy_record(uuid, text, uuid, jsonb, jsonb, jsonb, text) to authenticated;
