-- Why a batch, or its stock at one location, cannot be sold (the retail API's Reason {id, source, message},
-- plus a code and the location a hold is limited to). Computed by app.batch_sellability (sql/quality/types.sql).
create type api.unsellable_reason as (
  id           text,   -- the hold's id, or the computed reason's code
  source       text,   -- hold | status | expiry
  code         text,   -- a hold reason code (docs/quality.md), or recalled | archived | expired
  message      text,
  location_id  uuid    -- a hold on the stock at one location; null: the whole batch
);

-- One analyte of a lab result (potency, contaminant, …): docs/quality.md maps the retail API's fields.
create type api.lab_analyte as (
  name          text,      -- thc, cbd, total_cannabinoids, lead, …
  display_name  text,
  value         numeric,   -- null: not detected / not reported
  max           numeric,   -- upper end when the lab reports a range
  unit          text,
  "limit"       numeric,   -- the action limit the value was judged against
  result        text       -- pass | fail | null (informational)
);

-- A lab result as recorded (immutable); superseded_by names the correction that replaced it.
create type api.lab_result as (
  id                  uuid,
  brand_id            uuid,
  batch_id            uuid,
  result              text,      -- pass | fail
  lab_name            text,
  sample_id           text,
  sampled_on          date,
  tested_on           date,
  certificate_url     text,
  certificate_sha256  text,
  data                jsonb,     -- the lab's own payload, kept verbatim
  analytes            api.lab_analyte[],
  supersedes_id       uuid,
  superseded_by       uuid,
  correction_reason   text,
  recorded_by         text,
  recorded_at         timestamptz
);

-- The batch as every batch RPC returns it: the product passport API's fields plus the union of the other APIs' core fields,
-- then computed parts, each from one helper in its own room, appended in this order (a later room
-- appends its own the same way: a field list here, one lateral helper in app.batch_out and the lists):
--   quality (app.batch_quality): lab_testing_state, latest_lab_result, unsellable, unsellable_reasons.
create type api.batch as (
  id               uuid,
  brand_id         uuid,
  product_id       uuid,
  batch_number     text,
  external_id      text,
  status           text,
  production_date  date,
  received_date    date,
  expiry_date      date,
  quantity         numeric,
  unit             text,
  facility_ref     text,
  attributes       jsonb,
  recall_message   text,
  public_id        text,
  created_at       timestamptz,
  updated_at       timestamptz,
  version          integer,
  archived_at      timestamptz,
  lab_testing_state   text,                     -- not_required | pending | passed | failed
  latest_lab_result   api.lab_result,
  unsellable          boolean,                  -- a reason applies to the whole batch
  unsellable_reasons  api.unsellable_reason[]
);

-- One page of search_batches: the rows, a keyset cursor for the next page, and the total when asked.
create type api.batch_page as (
  items        api.batch[],
  next_cursor  text,
  total        bigint,
  "limit"      integer
);

-- data.batches rows → api.batch values, in the array's order, each with its quality part (app.batch_quality:
-- lab state, latest lab result, sellability), computed set-based for exactly these rows (kept beside the type:
-- dropped and rebuilt with api; app is not exposed). Lists build their page first, then call this once.
-- No SET clause, so app.batch_quality is inlined into this query: every name is schema-qualified.
create or replace function app.batches_out(_rows data.batches[])
returns api.batch[]
language sql stable security invoker
as $$
  select coalesce(pg_catalog.array_agg(
           row(r.id, r.brand_id, r.product_id, r.batch_number, r.external_id, r.status, r.production_date,
               r.received_date, r.expiry_date, r.quantity, r.unit, r.facility_ref, r.attributes,
               r.recall_message, r.public_id, r.created_at, r.updated_at, r.version, r.archived_at,
               q.lab_testing_state, q.latest_lab_result, q.unsellable, q.unsellable_reasons)::api.batch
           order by r.ordinality), '{}')
    from pg_catalog.unnest(_rows) with ordinality as r
    cross join lateral app.batch_quality(r.brand_id, r.id, r.product_id, r.status, r.expiry_date) q
$$;

-- data.batches row → api.batch (one row: the single-batch functions). No SET clause and a bare expression, so
-- the planner inlines it into the caller's query: its body names only its argument and schema-qualified names.
create or replace function app.batch_out(_b data.batches)
returns api.batch
language sql stable security invoker
as $$
  select (app.batches_out(array[_b]))[1]
$$;
grant execute on function app.batches_out(data.batches[]), app.batch_out(data.batches) to authenticated;
