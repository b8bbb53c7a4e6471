-- Traceability shapes: genealogy events, the trace (nodes + edges), recalls and the recall report.
-- The row → type helpers live beside the types (dropped and rebuilt with api; app is not exposed).

create type api.genealogy_line as (
  batch_id      uuid,
  batch_number  text,
  product_id    uuid,
  location_id   uuid,
  quantity      numeric,      -- consumed from an input / produced into an output (from the ledger)
  unit          text
);

create type api.genealogy_link as (
  input_batch_id   uuid,
  output_batch_id  uuid,
  quantity         numeric,   -- taken from the input, in the input's unit
  unit             text
);

create type api.genealogy_event as (
  id             uuid,
  brand_id       uuid,
  kind           text,        -- production | repack | split | merge
  location_id    uuid,        -- where the inputs were taken
  location_name  text,
  note           text,
  created_by     text,
  created_at     timestamptz,
  inputs         api.genealogy_line[],
  outputs        api.genealogy_line[],
  edges          api.genealogy_link[]
);
comment on type api.genealogy_event is 'A production, repack, split or merge: what it consumed, what it produced, and the genealogy edges it recorded.';

create type api.stock_at as (
  location_id    uuid,
  location_name  text,
  quantity       numeric,
  committed      numeric,
  available      numeric
);

create type api.trace_node as (
  batch_id       uuid,
  batch_number   text,
  product_id     uuid,
  product_name   text,
  supplier_name  text,
  status         text,
  direction      text,        -- root | up (an ancestor: what it was made from) | down (a descendant: what was made from it)
  depth          integer,     -- hops from the traced batch (0 for the root)
  unit           text,
  received_date  date,
  expiry_date    date,
  quantity       numeric,     -- on hand over all locations
  stock          api.stock_at[]
);

create type api.trace_edge as (
  input_batch_id   uuid,
  output_batch_id  uuid,
  event_id         uuid,
  kind             text,
  quantity         numeric,
  unit             text,
  direction        text,      -- up | down
  depth            integer,   -- hops from the traced batch to the far end of the edge
  created_at       timestamptz
);

create type api.trace as (
  batch_id      uuid,
  direction     text,
  max_depth     integer,
  max_edges     integer,
  truncated     boolean,      -- true: the genealogy goes on beyond max_depth or max_edges; nodes/edges are a prefix
  truncated_by  text[],       -- which bound cut it: depth, edges
  node_count    integer,
  edge_count    integer,
  nodes         api.trace_node[],
  edges         api.trace_edge[]
);
comment on type api.trace is 'Genealogy around a batch: the batches it was made from (up) and made into (down), with the edges, bounded by max_depth and max_edges.';

create type api.recall as (
  id                  uuid,
  brand_id            uuid,
  number              text,   -- RC-000001, per brand
  batch_id            uuid,
  batch_number        text,
  reason              text,   -- consumer-facing recall message
  include_downstream  boolean,
  status              text,   -- active | lifted
  created_by          text,
  created_at          timestamptz,
  lifted_by           text,
  lifted_at           timestamptz,
  lift_reason         text,
  batch_count         integer,
  changed_count       integer
);

create type api.recall_batch as (
  batch_id         uuid,
  batch_number     text,
  product_id       uuid,
  product_name     text,
  depth            integer,
  status           text,      -- now
  previous_status  text,      -- before the recall (what lifting it returns to)
  changed          boolean,   -- this recall moved it to recalled
  unit             text,
  quantity         numeric,   -- on hand over all locations, now
  serials          bigint,
  serials_active   bigint,
  stock            api.stock_at[]
);

create type api.recall_location as (
  location_id    uuid,
  location_name  text,
  kind           text,
  batches        integer,
  quantity       numeric
);

create type api.recall_transfer as (
  transfer_id         uuid,
  number              text,
  status              text,
  batch_id            uuid,
  batch_number        text,
  quantity            numeric,
  from_location_id    uuid,
  from_location_name  text,
  to_location_id      uuid,
  to_location_name    text,
  created_by          text,
  created_at          timestamptz,
  accepted_by         text,
  accepted_at         timestamptz
);

create type api.recall_report as (
  recall              api.recall,
  batches             api.recall_batch[],
  locations           api.recall_location[],
  pending_transfers   api.recall_transfer[],   -- cannot be accepted while the recall is active; decline or cancel them
  accepted_transfers  api.recall_transfer[],   -- who has received it
  quantity            numeric,                 -- on hand over all batches and locations
  serials             bigint
);
comment on type api.recall_report is 'A recall and what it covers: batches with stock per location and serial counts, locations, pending and accepted transfers.';

-- One batch's stock per location (non-zero balances), ordered by location name.
create or replace function app.stock_by_location(_brand_id uuid, _batch_id uuid)
returns api.stock_at[]
language sql stable security invoker set search_path = ''
as $$
  select coalesce(array_agg(row(s.location_id, l.name, s.quantity, s.committed, s.available)::api.stock_at
                            order by l.name, s.location_id), '{}')
    from data.stock s join data.locations l on l.brand_id = s.brand_id and l.id = s.location_id
   where s.brand_id = _brand_id and s.batch_id = _batch_id and s.quantity > 0
$$;

-- A genealogy event with its inputs and outputs as the ledger booked them, and its edges.
create or replace function app.genealogy_event_out(_brand_id uuid, _event_id uuid)
returns api.genealogy_event
language sql stable security invoker set search_path = ''
as $$
  select row(ev.id, ev.brand_id, ev.kind, ev.location_id, l.name, ev.note, ev.created_by, ev.created_at,
             (select coalesce(array_agg(row(m.batch_id, b.batch_number, b.product_id, m.location_id, -m.q, b.unit)::api.genealogy_line
                                        order by b.batch_number, m.batch_id), '{}')
                from (select x.batch_id, x.location_id, sum(x.quantity_delta) as q from data.stock_movements x
                       where x.brand_id = ev.brand_id and x.trace_event_id = ev.id and x.kind = 'consumption'
                       group by x.batch_id, x.location_id) m
                join data.batches b on b.brand_id = ev.brand_id and b.id = m.batch_id),
             (select coalesce(array_agg(row(m.batch_id, b.batch_number, b.product_id, m.location_id, m.q, b.unit)::api.genealogy_line
                                        order by b.batch_number, m.batch_id), '{}')
                from (select x.batch_id, x.location_id, sum(x.quantity_delta) as q from data.stock_movements x
                       where x.brand_id = ev.brand_id and x.trace_event_id = ev.id and x.kind = 'production'
                       group by x.batch_id, x.location_id) m
                join data.batches b on b.brand_id = ev.brand_id and b.id = m.batch_id),
             (select coalesce(array_agg(row(e.input_batch_id, e.output_batch_id, e.quantity, e.unit)::api.genealogy_link
                                        order by e.input_batch_id, e.output_batch_id), '{}')
                from data.genealogy_edges e where e.brand_id = ev.brand_id and e.event_id = ev.id))::api.genealogy_event
    from data.genealogy_events ev
    join data.locations l on l.brand_id = ev.brand_id and l.id = ev.location_id
   where ev.brand_id = _brand_id and ev.id = _event_id
$$;

grant execute on function app.stock_by_location(uuid, uuid), app.genealogy_event_out(uuid, uuid) to authenticated;

-- data.recalls row → api.recall (with its root batch's number and how many batches it covers / changed).
create or replace function app.recall_out(_r data.recalls)
returns api.recall
language sql stable security invoker set search_path = ''
as $$
  select row(_r.id, _r.brand_id, _r.number, _r.batch_id, b.batch_number, _r.reason, _r.include_downstream, _r.status,
             _r.created_by, _r.created_at, _r.lifted_by, _r.lifted_at, _r.lift_reason, c.n, c.changed)::api.recall
    from data.batches b,
         lateral (select count(*)::integer as n, (count(*) filter (where rb.changed))::integer as changed
                    from data.recall_batches rb where rb.brand_id = _r.brand_id and rb.recall_id = _r.id) c
   where b.brand_id = _r.brand_id and b.id = _r.batch_id
$$;

-- The recall report, read now: every covered batch with its stock per location and serial counts, the
-- locations holding any of it, the transfers of it that are pending (blocked) or accepted (who received it).
-- Per-batch figures are index lookups (lateral), never a join of one aggregate against another: the plan stays
-- linear in the number of covered batches.
create or replace function app.recall_report(_brand_id uuid, _recall_id uuid)
returns api.recall_report
language sql stable security invoker set search_path = ''
as $$
  with rb as materialized (
    select rb.batch_id, rb.depth, rb.previous_status, rb.changed, b.batch_number, b.product_id, b.status, b.unit, p.name as product_name
      from data.recall_batches rb
      join data.batches b on b.brand_id = rb.brand_id and b.id = rb.batch_id
      join data.products p on p.brand_id = b.brand_id and p.id = b.product_id
     where rb.brand_id = _brand_id and rb.recall_id = _recall_id
  ), per_batch as materialized (
    select rb.*, coalesce(st.quantity, 0) as quantity, coalesce(st.at, '{}') as at, ser.n, ser.active
      from rb
      left join lateral (select sum(s.quantity) as quantity,
                                array_agg(row(s.location_id, l.name, s.quantity, s.committed, s.available)::api.stock_at
                                          order by l.name, s.location_id) as at
                           from data.stock s join data.locations l on l.brand_id = s.brand_id and l.id = s.location_id
                          where s.brand_id = _brand_id and s.batch_id = rb.batch_id and s.quantity > 0) st on true
      cross join lateral (select count(*) as n, count(*) filter (where x.status = 'active') as active
                            from data.serials x where x.brand_id = _brand_id and x.batch_id = rb.batch_id) ser
  ), tr as materialized (
    select row(t.id, t.number, t.status, tl.batch_id, rb.batch_number, tl.quantity, t.from_location_id, fl.name,
               t.to_location_id, dl.name, t.created_by, t.created_at, t.accepted_by, t.accepted_at)::api.recall_transfer as x,
           t.status, t.created_at, t.number
      from rb
      join data.transfer_lines tl on tl.brand_id = _brand_id and tl.batch_id = rb.batch_id
      join data.transfers t on t.brand_id = tl.brand_id and t.id = tl.transfer_id
      join data.locations fl on fl.brand_id = t.brand_id and fl.id = t.from_location_id
      join data.locations dl on dl.brand_id = t.brand_id and dl.id = t.to_location_id
     where t.status in ('pending', 'accepted')
  )
  select row(
    app.recall_out(r),
    (select coalesce(array_agg(row(x.batch_id, x.batch_number, x.product_id, x.product_name, x.depth, x.status, x.previous_status,
                                   x.changed, x.unit, x.quantity, x.n, x.active, x.at)::api.recall_batch
                               order by x.depth, x.batch_number, x.batch_id), '{}')
       from per_batch x),
    (select coalesce(array_agg(row(g.location_id, g.name, g.kind, g.batches, g.quantity)::api.recall_location
                               order by g.name, g.location_id), '{}')
       from (select a.location_id, l.name, l.kind, count(*)::integer as batches, sum(a.quantity) as quantity
               from per_batch x cross join lateral unnest(x.at) a
               join data.locations l on l.brand_id = _brand_id and l.id = a.location_id
              group by a.location_id, l.name, l.kind) g),
    (select coalesce(array_agg(tr.x order by tr.created_at, tr.number), '{}') from tr where tr.status = 'pending'),
    (select coalesce(array_agg(tr.x order by tr.created_at, tr.number), '{}') from tr where tr.status = 'accepted'),
    (select coalesce(sum(x.quantity), 0) from per_batch x),
    (select coalesce(sum(x.n), 0)::bigint from per_batch x))::api.recall_report
    from data.recalls r
   where r.brand_id = _brand_id and r.id = _recall_id
$$;

grant execute on function app.recall_out(data.recalls), app.recall_report(uuid, uuid) to authenticated;
