-- Trace a batch up (what it was made from) and down (what was made from it) in one recursive query.
create function api.trace_batch(
  _brand_id   uuid,
  _batch_id   uuid,
  _direction  text    default 'both',
  _max_depth  integer default 10,
  _max_edges  integer default 10000
)
returns api.trace
language sql stable security invoker set search_path = ''
as $$
  select app.trace_batch_check(_brand_id, _batch_id, _direction, _max_depth, _max_edges);
  -- Two breadth-first walks in one statement: down over (brand, input) → output, up over (brand, output) → input,
  -- each carrying its edges' own columns (no second pass over the edges). UNION drops a row seen before and depth
  -- is capped, so a walk ends even on a cyclic graph; reading at most _max_edges + 1 rows of a walk stops it there
  -- (the rest is never computed). Each step is an index lookup per batch (lateral, fenced by OFFSET 0 so the planner
  -- never scans the brand's whole genealogy to join it); per-node figures are index lookups too, linear in the nodes.
  with recursive down (input_batch_id, output_batch_id, event_id, kind, quantity, unit, created_at, depth) as (
    select x.input_batch_id, x.output_batch_id, x.event_id, x.kind, x.quantity, x.unit, x.created_at, 1
      from data.genealogy_edges x
     where _direction in ('down', 'both') and x.brand_id = _brand_id and x.input_batch_id = _batch_id
    union
    select x.input_batch_id, x.output_batch_id, x.event_id, x.kind, x.quantity, x.unit, x.created_at, d.depth + 1
      from down d
      cross join lateral (select * from data.genealogy_edges x
                           where x.brand_id = _brand_id and x.input_batch_id = d.output_batch_id offset 0) x
     where d.depth < _max_depth
  ), up (input_batch_id, output_batch_id, event_id, kind, quantity, unit, created_at, depth) as (
    select x.input_batch_id, x.output_batch_id, x.event_id, x.kind, x.quantity, x.unit, x.created_at, 1
      from data.genealogy_edges x
     where _direction in ('up', 'both') and x.brand_id = _brand_id and x.output_batch_id = _batch_id
    union
    select x.input_batch_id, x.output_batch_id, x.event_id, x.kind, x.quantity, x.unit, x.created_at, u.depth + 1
      from up u
      cross join lateral (select * from data.genealogy_edges x
                           where x.brand_id = _brand_id and x.output_batch_id = u.input_batch_id offset 0) x
     where u.depth < _max_depth
  ), walk as (
    select 'down'::text as dir, d.*, d.output_batch_id as far from (select * from down limit _max_edges + 1) d
    union all
    select 'up'::text, u.*, u.input_batch_id from (select * from up limit _max_edges + 1) u
  ), seen as materialized (
    select w.*, row_number() over (order by w.depth) as n from walk w
  ), kept as materialized (
    select * from seen where n <= _max_edges
  ), edges as materialized (
    select distinct on (k.dir, k.input_batch_id, k.output_batch_id, k.event_id) k.*
      from kept k order by k.dir, k.input_batch_id, k.output_batch_id, k.event_id, k.depth
  ), nodes as materialized (
    select _batch_id as batch_id, 'root'::text as dir, 0 as depth
    union all
    (select distinct on (k.far) k.far, k.dir, k.depth from kept k where k.far <> _batch_id order by k.far, k.depth)
  ), flags as materialized (
    select (select count(*) from seen) > _max_edges as by_edges,
           exists (select from kept k
                    where k.depth = _max_depth
                      and case k.dir
                            when 'down' then exists (select from data.genealogy_edges x
                                                      where x.brand_id = _brand_id and x.input_batch_id = k.output_batch_id)
                            else exists (select from data.genealogy_edges x
                                          where x.brand_id = _brand_id and x.output_batch_id = k.input_batch_id) end) as by_depth
  )
  select row(_batch_id, _direction, _max_depth, _max_edges, t.by_edges or t.by_depth,
             array_remove(array[case when t.by_depth then 'depth' end, case when t.by_edges then 'edges' end], null),
             (select count(*) from nodes)::integer, (select count(*) from edges)::integer,
             (select coalesce(array_agg(row(n.batch_id, b.batch_number, b.product_id, p.name, sup.name, b.status, n.dir, n.depth, b.unit,
                                            b.received_date, b.expiry_date, coalesce(st.quantity, 0), coalesce(st.at, '{}'))::api.trace_node
                                        order by n.depth, n.dir, b.batch_number, n.batch_id), '{}')
                from nodes n
                join data.batches b on b.brand_id = _brand_id and b.id = n.batch_id
                join data.products p on p.brand_id = b.brand_id and p.id = b.product_id
                left join data.suppliers sup on sup.brand_id = p.brand_id and sup.id = p.supplier_id
                left join lateral (select sum(s.quantity) as quantity,
                                          array_agg(row(s.location_id, l.name, s.quantity, s.committed, s.available)::api.stock_at
                                                    order by l.name, s.location_id) as at
                                     from data.stock s join data.locations l on l.brand_id = s.brand_id and l.id = s.location_id
                                    where s.brand_id = _brand_id and s.batch_id = n.batch_id and s.quantity > 0) st on true),
             (select coalesce(array_agg(row(e.input_batch_id, e.output_batch_id, e.event_id, e.kind, e.quantity, e.unit, e.dir, e.depth,
                                            e.created_at)::api.trace_edge
                                        order by e.depth, e.dir, e.input_batch_id, e.output_batch_id, e.event_id), '{}')
                from edges e))::api.trace
    from flags t;
$$;
comment on function api.trace_batch(uuid, uuid, text, integer, integer) is
  $$The genealogy around a batch in one recursive query: _direction 'up' (what it was made from, back to the received batches), 'down' (everything made from it) or 'both' (default), at most _max_depth hops (1–100, default 10) and _max_edges edges (1–100000, default 10000, breadth-first). Returns nodes (batch, product, supplier, status, direction root/up/down, depth, on-hand quantity in total and per location) and edges (input → output, event and kind, quantity and unit, depth); truncated = true with truncated_by ['depth'|'edges'] when the genealogy goes on beyond a bound. Never leaves the brand. Viewer role, scope trace:read. Errors: 400, 401, 403, 404.$$;
grant execute on function api.trace_batch(uuid, uuid, text, integer, integer) to authenticated;
