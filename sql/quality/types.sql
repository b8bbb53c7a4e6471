-- Quality shapes (holds, release rules, pick suggestions and pick lists, expiring batches) and the helpers that
-- compute a batch's quality: sellability and lab state. The lab result, analyte and reason types are part of
-- the batch read and live beside api.batch (sql/batches/types.sql). Rebuilt with api on every migrate.

create type api.hold as (
  id             uuid,
  brand_id       uuid,
  batch_id       uuid,
  batch_number   text,
  location_id    uuid,          -- null: the whole batch
  location_name  text,
  reason_code    text,          -- lab_pending | lab_failed | damaged | expired | recalled | regulatory | other
  note           text,
  status         text,          -- open | released
  source         text,          -- manual | release_gate | lab_result
  lab_result_id  uuid,          -- the failed result that placed it (source lab_result)
  placed_by      text,
  placed_at      timestamptz,
  released_by    text,
  released_at    timestamptz,
  release_note   text
);
comment on type api.hold is 'A hold on a batch (or on its stock at one location): open holds make the stock unsellable.';

create type api.release_rule as (
  brand_id             uuid,
  product_id           uuid,
  product_name         text,
  requires_lab_result  boolean,
  updated_by           text,
  created_at           timestamptz,
  updated_at           timestamptz,
  version              integer
);
comment on type api.release_rule is 'Whether a product''s batches need a passing lab result before they may be ready_for_sale.';

create type api.pick_suggestion_line as (
  batch_id       uuid,
  batch_number   text,
  expiry_date    date,
  received_date  date,
  available      numeric,   -- available at the location before this pick
  quantity       numeric    -- to pick from this batch
);

create type api.pick_skipped as (
  batch_id      uuid,
  batch_number  text,
  expiry_date   date,
  available     numeric,
  reasons       api.unsellable_reason[]
);

create type api.pick_suggestion as (
  product_id   uuid,
  location_id  uuid,
  requested    numeric,
  suggested    numeric,       -- sum of the lines
  shortfall    numeric,       -- requested - suggested
  complete     boolean,       -- shortfall = 0
  lines        api.pick_suggestion_line[],
  skipped      api.pick_skipped[]
);
comment on type api.pick_suggestion is 'Which batches to pick, first expiry first out, then first received; reserve_picks takes the lines back.';

create type api.pick_line as (
  "position"    integer,
  batch_id      uuid,
  batch_number  text,
  expiry_date   date,
  quantity      numeric
);

create type api.pick as (
  id              uuid,
  brand_id        uuid,
  number          text,        -- PK-000001, per brand
  status          text,        -- reserved | picked | released
  product_id      uuid,
  product_name    text,
  location_id     uuid,
  location_name   text,
  quantity        numeric,
  note            text,
  created_by      text,
  created_at      timestamptz,
  updated_by      text,
  updated_at      timestamptz,
  version         integer,
  picked_by       text,
  picked_at       timestamptz,
  released_by     text,
  released_at     timestamptz,
  release_reason  text,
  lines           api.pick_line[]
);
comment on type api.pick is 'A pick list: stock of one product reserved at one location batch by batch, then picked or released.';

create type api.expiring_batch as (
  batch_id            uuid,
  brand_id            uuid,
  product_id          uuid,
  product_name        text,
  batch_number        text,
  status              text,
  expiry_date         date,
  days_left           integer,   -- negative: expired that many days ago
  expired             boolean,
  on_hand             numeric,   -- at _location_id, or at every location
  committed           numeric,
  unsellable          boolean,
  unsellable_reasons  api.unsellable_reason[]
);

-- Why a batch (at _location_id, or as a whole) cannot be sold: its open holds (those limited to another
-- location only when no location is asked), recalled or archived status, expiry (computed now: no job
-- flips anything). The one place that decides sellability; reads, checks and pick suggestions call it.
-- unsellable: some reason applies (to the whole batch, when no location is asked).
-- No SET clause on purpose: an SQL function without one is inlined into the calling query (lists stay
-- set-based). Every name is schema-qualified; pg_catalog is searched first.
create or replace function app.batch_sellability(_brand_id uuid, _batch_id uuid, _status text, _expiry_date date,
                                                 _location_id uuid default null)
returns table (unsellable boolean, unsellable_reasons api.unsellable_reason[])
language sql stable security invoker
as $$
  select coalesce(pg_catalog.bool_or(x.location_id is null or _location_id is not null), false),
         coalesce(pg_catalog.array_agg(row(x.id, x.source, x.code, x.message, x.location_id)::api.unsellable_reason
                                       order by x.ord, x.at, x.id), '{}')
    from (
      select 1 as ord, h.placed_at as at, h.id::text as id, 'hold'::text as source, h.reason_code as code,
             pg_catalog.format('On hold: %s%s (hold %s)%s', pg_catalog.replace(h.reason_code, '_', ' '),
                               ' at location "' || l.name || '"', h.id, ': ' || h.note) as message,
             h.location_id
        from data.holds h
        left join data.locations l on l.brand_id = h.brand_id and l.id = h.location_id
       where h.brand_id = _brand_id and h.batch_id = _batch_id and h.status = 'open'
         and (_location_id is null or h.location_id is null or h.location_id = _location_id)
      union all
      select 2, null, _status, 'status', _status, case _status when 'recalled' then 'Recalled' else 'Archived' end, null
       where _status in ('recalled', 'archived')
      union all
      select 3, null, 'expired', 'expiry', 'expired', pg_catalog.format('Expired on %s', _expiry_date), null
       where _expiry_date < current_date
    ) x
$$;

-- One lab result as the api returns it, with its analytes and the correction that superseded it.
create or replace function app.lab_result_out(_r data.lab_results)
returns api.lab_result
language sql stable security invoker set search_path = ''
as $$
  select row(_r.id, _r.brand_id, _r.batch_id, _r.result, _r.lab_name, _r.sample_id, _r.sampled_on, _r.tested_on,
             _r.certificate_url, _r.certificate_sha256, _r.data,
             (select coalesce(array_agg(row(a.name, a.display_name, a.value, a.max, a.unit, a."limit", a.result)::api.lab_analyte
                                        order by a.position), '{}')
                from data.lab_result_analytes a where a.brand_id = _r.brand_id and a.lab_result_id = _r.id),
             _r.supersedes_id,
             (select x.id from data.lab_results x
               where x.brand_id = _r.brand_id and x.batch_id = _r.batch_id and x.supersedes_id = _r.id),
             _r.correction_reason, _r.recorded_by, _r.recorded_at)::api.lab_result
$$;

-- The quality part of a batch read: lab testing state (not_required | pending | passed | failed), the latest
-- lab result, and sellability as a whole. Inlined into lists like app.batch_sellability (no SET clause).
create or replace function app.batch_quality(_brand_id uuid, _batch_id uuid, _product_id uuid, _status text, _expiry_date date)
returns table (lab_testing_state text, latest_lab_result api.lab_result, unsellable boolean,
               unsellable_reasons api.unsellable_reason[])
language sql stable security invoker
as $$
  select case (lr.r).result when 'pass' then 'passed' when 'fail' then 'failed'
              else case when rr.requires_lab_result then 'pending' else 'not_required' end end,
         case when (lr.r).id is not null then app.lab_result_out(lr.r) end,
         s.unsellable, s.unsellable_reasons
    from app.batch_sellability(_brand_id, _batch_id, _status, _expiry_date) s
    left join lateral (select r from data.lab_results r
                        where r.brand_id = _brand_id and r.batch_id = _batch_id order by r.seq desc limit 1) lr on true
    left join data.release_rules rr on rr.brand_id = _brand_id and rr.product_id = _product_id
$$;

-- The pick suggestion: the product's batches with stock available at the location, sellable there and
-- not expiring within _min_remaining_days, first expiry first out (no expiry last), then first received,
-- then oldest; as much of each as needed for _quantity. skipped: the batches passed over before the quantity
-- was covered (all of them when it is not). reserve_picks recomputes it under its locks.
-- The batches are read in that order from an index, the first 32 first: most picks are covered by them, and
-- only when they are not is the suggestion computed over all of the product's batches.
-- PL/pgSQL rather than SQL: its statement plan is cached per session (an SQL function with a SET clause is
-- planned again on every call, which cost more than running it).
create or replace function app.pick_suggestion(_brand_id uuid, _product_id uuid, _location_id uuid, _quantity numeric,
                                               _min_remaining_days integer default 0)
returns api.pick_suggestion
language plpgsql stable security invoker set search_path = ''
as $$
declare
  v_cap integer := 32;
  v api.pick_suggestion;
begin
  loop
    with b as (
      select b.* from data.batches b
       where b.brand_id = _brand_id and b.product_id = _product_id
       order by b.expiry_date, b.received_date, b.created_at, b.id
       limit v_cap
    ), c as (
      select b.id, b.batch_number, b.expiry_date, b.received_date, st.available, q.unsellable, q.unsellable_reasons,
             coalesce(not q.unsellable and b.expiry_date < current_date + _min_remaining_days, false) as short_dated,
             row_number() over (order by b.expiry_date, b.received_date, b.created_at, b.id) as pos
        from b
        join data.stock st on st.brand_id = b.brand_id and st.batch_id = b.id and st.location_id = _location_id
        cross join lateral app.batch_sellability(b.brand_id, b.id, b.status, b.expiry_date, _location_id) q
       where st.available > 0
    ), ok as (
      select c.*, sum(c.available) over (order by c.pos) as upto from c where not c.unsellable and not c.short_dated
    ), take as (
      select ok.*, least(ok.available, _quantity - (ok.upto - ok.available)) as quantity
        from ok where ok.upto - ok.available < _quantity
    ), t as (
      select coalesce(sum(take.quantity), 0) as suggested, max(take.pos) as last_pos,
             coalesce(array_agg(row(take.id, take.batch_number, take.expiry_date, take.received_date, take.available,
                                    take.quantity)::api.pick_suggestion_line order by take.pos), '{}') as lines
        from take
    ), s as (
      select coalesce(array_agg(row(c.id, c.batch_number, c.expiry_date, c.available,
               case when c.short_dated
                    then array[row('short_dated', 'expiry', 'short_dated',
                                   format('Expires on %s, within %s days', c.expiry_date, _min_remaining_days),
                                   null)::api.unsellable_reason]
                    else c.unsellable_reasons end)::api.pick_skipped order by c.pos), '{}') as skipped
        from c, t where (c.unsellable or c.short_dated) and (t.suggested < _quantity or c.pos < t.last_pos)
    )
    select _product_id, _location_id, _quantity, t.suggested, _quantity - t.suggested, t.suggested = _quantity,
           t.lines, s.skipped
      into v from t, s;
    -- covered, or every batch was read: done; else once more over all of the product's batches
    exit when v.complete or v_cap is null
           or (select count(*) from data.batches x where x.brand_id = _brand_id and x.product_id = _product_id) <= v_cap;
    v_cap := null;
  end loop;
  return v;
end
$$;

create or replace function app.hold_out(_brand_id uuid, _hold_id uuid)
returns api.hold
language sql stable security invoker set search_path = ''
as $$
  select row(h.id, h.brand_id, h.batch_id, b.batch_number, h.location_id, l.name, h.reason_code, h.note, h.status,
             h.source, h.lab_result_id, h.placed_by, h.placed_at, h.released_by, h.released_at, h.release_note)::api.hold
    from data.holds h
    join data.batches b on b.brand_id = h.brand_id and b.id = h.batch_id
    left join data.locations l on l.brand_id = h.brand_id and l.id = h.location_id
   where h.brand_id = _brand_id and h.id = _hold_id
$$;

create or replace function app.release_rule_out(_r data.release_rules)
returns api.release_rule
language sql stable security invoker set search_path = ''
as $$
  select row(_r.brand_id, _r.product_id, p.name, _r.requires_lab_result, _r.updated_by, _r.created_at, _r.updated_at,
             _r.version)::api.release_rule
    from data.products p where p.brand_id = _r.brand_id and p.id = _r.product_id
$$;

create or replace function app.pick_out(_brand_id uuid, _pick_id uuid)
returns api.pick
language sql stable security invoker set search_path = ''
as $$
  select row(k.id, k.brand_id, k.number, k.status, k.product_id, p.name, k.location_id, l.name, k.quantity, k.note,
             k.created_by, k.created_at, k.updated_by, k.updated_at, k.version, k.picked_by, k.picked_at,
             k.released_by, k.released_at, k.release_reason,
             (select coalesce(array_agg(row(pl.position, pl.batch_id, b.batch_number, b.expiry_date, pl.quantity)::api.pick_line
                                        order by pl.position), '{}')
                from data.pick_lines pl join data.batches b on b.brand_id = pl.brand_id and b.id = pl.batch_id
               where pl.brand_id = k.brand_id and pl.pick_id = k.id))::api.pick
    from data.picks k
    join data.products p on p.brand_id = k.brand_id and p.id = k.product_id
    join data.locations l on l.brand_id = k.brand_id and l.id = k.location_id
   where k.brand_id = _brand_id and k.id = _pick_id
$$;

grant execute on function app.batch_sellability(uuid, uuid, text, date, uuid), app.lab_result_out(data.lab_results),
  app.batch_quality(uuid, uuid, uuid, text, date), app.pick_suggestion(uuid, uuid, uuid, numeric, integer),
  app.hold_out(uuid, uuid), app.release_rule_out(data.release_rules), app.pick_out(uuid, uuid)
  to authenticated, lotline_auth;
