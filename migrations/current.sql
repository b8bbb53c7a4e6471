-- sync: due-diligence statement lifecycle (draft → submitted → accepted | rejected; docs/state-machine.md)
-- The draft's content, the submission (reference number) and the decision. Statuses are the four of
-- the lifecycle (the earlier list's available/cancelled/withdrawn were never written: sync only drafts).
alter table data.due_diligence_statements add column if not exists activity_type         text;
alter table data.due_diligence_statements add column if not exists hs_code               text;
alter table data.due_diligence_statements add column if not exists description           text;
alter table data.due_diligence_statements add column if not exists net_mass_kg           numeric;
alter table data.due_diligence_statements add column if not exists country_of_production text;
alter table data.due_diligence_statements add column if not exists geolocation           jsonb;
alter table data.due_diligence_statements add column if not exists submitted_at          timestamptz;
alter table data.due_diligence_statements add column if not exists submitted_by          text;
alter table data.due_diligence_statements add column if not exists decided_at            timestamptz;
alter table data.due_diligence_statements add column if not exists decided_by            text;
alter table data.due_diligence_statements add column if not exists decision_reason       text;
alter table data.due_diligence_statements drop constraint if exists due_diligence_statements_status_check;
do $$
begin
  if not exists (select from pg_constraint where conrelid = 'data.due_diligence_statements'::regclass
                                             and conname = 'due_diligence_statements__content_check') then
    alter table data.due_diligence_statements add constraint due_diligence_statements__content_check check (
          status in ('draft', 'submitted', 'accepted', 'rejected')
      and (activity_type is null or activity_type in ('import', 'export', 'domestic'))
      and (hs_code is null or hs_code ~ '^[0-9]{4}([0-9]{2}){0,2}$')
      and (description is null or length(description) between 1 and 2000)
      and (net_mass_kg is null or (net_mass_kg > 0 and net_mass_kg < 1e15))
      and (country_of_production is null or country_of_production ~ '^[A-Z]{2}$')
      and (geolocation is null or (jsonb_typeof(geolocation) = 'object' and length(geolocation::text) <= 1048576))
      and (decision_reason is null or length(decision_reason) between 1 and 2000)
      -- a statement leaves draft with a reference number; only an accepted one has a verification number
      and ((status = 'draft') = (reference_number is null and submitted_at is null))
      and ((status in ('accepted', 'rejected')) = (decided_at is not null))
      and (verification_number is null or status = 'accepted'));
  end if;
end
$$;
-- reference numbers are unique within a brand (they are random: docs/sync.md)
create unique index if not exists due_diligence_statements__brand_id_reference_number_key
  on data.due_diligence_statements (brand_id, reference_number) where reference_number is not null;
-- lists by status, newest first
create index if not exists due_diligence_statements__brand_id_status_created_at_idx
  on data.due_diligence_statements (brand_id, status, created_at, id);

-- batches: the (brand_id, id) index carries product_id and batch_number, so a _term search by id reads the
-- index (index-only) and fetches only its page's rows from the heap (docs/benchmarks.md)
create index if not exists batches__brand_id_id_term_idx on data.batches (brand_id, id) include (product_id, batch_number);
drop index if exists data.batches__brand_id_id_idx;

-- gs1, quotas, serials: GTIN ownership claims, serial usage for quotas, serial number formats and mint jobs
-- (docs/gtin-ownership.md, docs/quotas.md, docs/serials.md). Idempotent (graphile-migrate re-runs it).

-- Who owns a GTIN: a brand claims a GS1 company prefix or a single GTIN; a platform administrator verifies
-- or rejects the claim. The consumer view answers only for a verified owner.
create table if not exists data.gtin_claims (
  brand_id       uuid not null references data.brands (id) on delete cascade,
  id             uuid not null default gen_random_uuid(),
  kind           text not null check (kind in ('company_prefix', 'gtin')),
  -- a company prefix in GTIN-13 form (6-12 digits; a U.P.C. company prefix gets its leading 0), or a GTIN-14
  value          text collate "C" not null check (value ~ '^([0-9]{6,12}|[0-9]{14})$'),
  display_name   text not null check (length(btrim(display_name)) between 1 and 200),
  evidence       text check (length(evidence) between 1 and 2000),
  status         text not null default 'pending' check (status in ('pending', 'verified', 'rejected')),
  decision_note  text check (length(decision_note) between 1 and 2000),
  created_by     text not null,
  created_at     timestamptz not null default now(),
  decided_by     text,
  decided_at     timestamptz,
  updated_at     timestamptz not null default now(),
  primary key (brand_id, id),
  check ((kind = 'gtin') = (length(value) = 14)),
  check ((status = 'pending') = (decided_at is null))
);
comment on table data.gtin_claims is
  'GTIN ownership claims: a brand claims a GS1 company prefix or a GTIN; a platform administrator verifies or rejects it. The resolver answers only for verified owners.';
-- one open (pending or verified) claim per brand and value
create unique index if not exists gtin_claims__brand_id_value_open_key on data.gtin_claims (brand_id, value) where status <> 'rejected';
-- The lookup key, and the one key here not led by brand_id: a scan knows only the GTIN. At most one verified
-- owner per prefix or GTIN (a reference table when data is distributed by brand_id).
create unique index if not exists gtin_claims__verified_value_key on data.gtin_claims (value) where status = 'verified';
-- the resolver no longer looks products up by GTIN across brands: GTIN → verified owner → that brand's products
drop index if exists data.products__gtin_idx;

-- Quotas: serials created per brand and UTC day (the serials-per-day quota), and brands per creator.
create table if not exists data.serial_usage (
  brand_id  uuid not null references data.brands (id) on delete cascade,
  day       date not null,
  serials   bigint not null default 0 check (serials >= 0),
  primary key (brand_id, day)
);
comment on table data.serial_usage is 'Serials minted, queued or imported per brand and UTC day: what the serials-per-day quota counts.';
create index if not exists brands__created_by_idx on data.brands (created_by);

-- Serials: a serial's brand is already guaranteed by its batch (foreign key (brand_id, batch_id) → batches,
-- whose brand_id → brands); the second check per row cost ~13% of minting. Deleting a brand that has serials
-- therefore needs its serials deleted first (lotline has no brand deletion).
alter table data.serials drop constraint if exists serials_brand_id_fkey;

-- Serials: per-brand serial number format (random by default, sequential only by opt-in), and mint jobs.
create table if not exists data.serial_formats (
  brand_id    uuid primary key references data.brands (id) on delete cascade,
  scheme      text not null check (scheme in ('random', 'sequential')),
  -- a subset of Crockford's base32 alphabet (no I, L, O, U), no character twice
  alphabet    text collate "C" not null check (alphabet ~ '^[0-9A-HJKMNP-TV-Z]{10,32}$' and alphabet !~ '(.).*\1'),
  length      integer not null check (length between 8 and 20),
  updated_by  text,
  updated_at  timestamptz not null default now(),
  -- at least 10^12 possible serial numbers per GTIN
  check (length * ln(length(alphabet)) >= 12 * ln(10) - 1e-9)
);
comment on table data.serial_formats is
  'How mint_serials numbers serials for a brand: random (alphabet and length) or sequential (opt-in). No row: the defaults of app.serial_format_of.';

create table if not exists data.mint_jobs (
  brand_id       uuid not null references data.brands (id) on delete cascade,
  id             uuid not null default gen_random_uuid(),
  batch_id       uuid not null,
  requested      integer not null check (requested between 1 and 1000000),
  minted         integer not null default 0,
  status         text not null default 'queued' check (status in ('queued', 'running', 'done', 'failed')),
  -- the claims every chunk runs with: the creator's sub and scope (checked again for each chunk)
  run_as         jsonb not null check (jsonb_typeof(run_as) = 'object'),
  chunks         integer not null default 0 check (chunks >= 0),
  error_code     text,
  error_message  text,
  created_by     text not null,
  created_at     timestamptz not null default now(),
  updated_at     timestamptz not null default now(),
  started_at     timestamptz,
  finished_at    timestamptz,
  primary key (brand_id, id),
  foreign key (brand_id, batch_id) references data.batches (brand_id, id),
  check (minted between 0 and requested),
  check ((status = 'done') = (minted = requested)),
  check ((status = 'failed') = (error_code is not null)),
  check ((status in ('done', 'failed')) = (finished_at is not null))
);
comment on table data.mint_jobs is
  'Large mint_serials calls, run in the background in chunks (one transaction each) by the job worker. docs/serials.md.';
create index if not exists mint_jobs__brand_id_batch_id_idx on data.mint_jobs (brand_id, batch_id);
create index if not exists mint_jobs__brand_id_created_at_idx on data.mint_jobs (brand_id, created_at, id);
-- the workers' queue (not led by brand_id: a worker serves every brand): open jobs, least recently served first
create index if not exists mint_jobs__open_idx on data.mint_jobs (updated_at, id) where status in ('queued', 'running');

-- traceability: genealogy (events and input → output edges), production/split/merge ledger kinds, recalls.
-- Rules and shapes: docs/traceability.md. Idempotent: graphile-migrate re-runs the current migration.

-- One production, split, merge or repack: where its inputs were taken, who, when.
create table if not exists data.genealogy_events (
  brand_id     uuid not null references data.brands (id) on delete cascade,
  id           uuid not null default gen_random_uuid(),
  kind         text not null check (kind in ('production', 'split', 'merge', 'repack')),
  location_id  uuid not null,
  note         text check (length(note) <= 2000),
  created_by   text not null,
  created_at   timestamptz not null default now(),
  primary key (brand_id, id),
  unique (brand_id, id, kind),
  foreign key (brand_id, location_id) references data.locations (brand_id, id)
);
comment on table data.genealogy_events is
  'A production, split, merge or repack: its edges are in data.genealogy_edges, its stock movements in data.stock_movements (trace_event_id). Append-only.';
create index if not exists genealogy_events__brand_id_location_id_idx on data.genealogy_events (brand_id, location_id);
create index if not exists genealogy_events__brand_id_created_at_idx on data.genealogy_events (brand_id, created_at, id);

-- The genealogy: input batch → output batch, with the quantity taken from the input (in the input's unit).
-- The primary key serves the downward walk (brand, input → output); the second index the upward walk.
create table if not exists data.genealogy_edges (
  brand_id         uuid not null references data.brands (id) on delete cascade,
  input_batch_id   uuid not null,
  output_batch_id  uuid not null,
  event_id         uuid not null,
  kind             text not null,   -- the event's kind (kept with the edge so a trace reads no event row)
  quantity         numeric not null check (quantity > 0 and quantity < 1e15),
  unit             text check (length(unit) between 1 and 32),
  created_at       timestamptz not null default now(),
  primary key (brand_id, input_batch_id, output_batch_id, event_id),
  foreign key (brand_id, input_batch_id) references data.batches (brand_id, id),
  foreign key (brand_id, output_batch_id) references data.batches (brand_id, id),
  foreign key (brand_id, event_id, kind) references data.genealogy_events (brand_id, id, kind),
  check (input_batch_id <> output_batch_id)
);
comment on table data.genealogy_edges is
  'Genealogy: input batch → output batch per event, quantity taken from the input. Never forms a cycle (trigger); append-only.';
create index if not exists genealogy_edges__brand_id_output_batch_id_idx
  on data.genealogy_edges (brand_id, output_batch_id, input_batch_id, event_id);
create index if not exists genealogy_edges__brand_id_event_id_idx on data.genealogy_edges (brand_id, event_id, kind);

-- The stock ledger learns consumption (inputs leaving) and production (outputs arriving), each linked to its event
-- (the kind checks that know them follow the quality section: one set for every kind).
alter table data.stock_movements add column if not exists trace_event_id uuid;
do $$
begin
  if not exists (select from pg_constraint where conrelid = 'data.stock_movements'::regclass and conname = 'stock_movements_trace_event_fkey') then
    alter table data.stock_movements add constraint stock_movements_trace_event_fkey
      foreign key (brand_id, trace_event_id) references data.genealogy_events (brand_id, id);
  end if;
end
$$;
create index if not exists stock_movements__brand_id_trace_event_id_idx
  on data.stock_movements (brand_id, trace_event_id) where trace_event_id is not null;

-- A recall: the batch it started from, the consumer-facing reason, who and when; lifted by an admin with a reason.
create table if not exists data.recalls (
  brand_id            uuid not null references data.brands (id) on delete cascade,
  id                  uuid not null default gen_random_uuid(),
  number              text not null check (number ~ '^RC-[0-9]{6,}$'),
  batch_id            uuid not null,
  reason              text not null check (length(btrim(reason)) between 1 and 2000),
  include_downstream  boolean not null,
  status              text not null default 'active' check (status in ('active', 'lifted')),
  created_by          text not null,
  created_at          timestamptz not null default now(),
  lifted_by           text,
  lifted_at           timestamptz,
  lift_reason         text check (length(btrim(lift_reason)) between 1 and 2000),
  -- the transaction that lifted it: only that transaction may move its batches out of `recalled`
  lift_xid            xid8,
  primary key (brand_id, id),
  unique (brand_id, number),
  foreign key (brand_id, batch_id) references data.batches (brand_id, id),
  check ((status = 'lifted') = (lifted_by is not null and lifted_at is not null and lift_reason is not null and lift_xid is not null))
);
create index if not exists recalls__brand_id_batch_id_idx on data.recalls (brand_id, batch_id);
create index if not exists recalls__brand_id_created_at_idx on data.recalls (brand_id, created_at, id);

-- The batches a recall covers, the status each had before (to return to when the recall is lifted).
create table if not exists data.recall_batches (
  brand_id                 uuid not null references data.brands (id) on delete cascade,
  recall_id                uuid not null,
  batch_id                 uuid not null,
  depth                    integer not null check (depth >= 0),
  -- status before it was recalled; null when it was recalled before without a recall record (nothing to return to)
  previous_status          text,
  previous_recall_message  text,
  -- this recall moved it to `recalled` (false: it was recalled already, or archived)
  changed                  boolean not null,
  primary key (brand_id, recall_id, batch_id),
  foreign key (brand_id, recall_id) references data.recalls (brand_id, id),
  foreign key (brand_id, batch_id) references data.batches (brand_id, id)
);
create index if not exists recall_batches__brand_id_batch_id_idx on data.recall_batches (brand_id, batch_id, recall_id);


-- quality: lab results (immutable, corrections supersede), holds, release rules, pick lists; the stock
-- ledger learns pick reservations and picks. docs/quality.md explains the model. Idempotent.

-- A product whose batches need a passing lab result before sale (release gate).
create table if not exists data.release_rules (
  brand_id             uuid not null references data.brands (id) on delete cascade,
  product_id           uuid not null,
  requires_lab_result  boolean not null default false,
  updated_by           text not null,
  created_at           timestamptz not null default now(),
  updated_at           timestamptz not null default now(),
  version              integer not null default 1,
  primary key (brand_id, product_id),
  foreign key (brand_id, product_id) references data.products (brand_id, id)
);

-- Lab results: written once, never changed (trigger); a correction is a new row that supersedes one.
-- seq orders the results of a batch (the latest is the highest); it is taken under the batch row lock.
create sequence if not exists data.lab_results_seq as bigint;
create table if not exists data.lab_results (
  brand_id            uuid not null references data.brands (id) on delete cascade,
  id                  uuid not null default gen_random_uuid(),
  batch_id            uuid not null,
  seq                 bigint not null default nextval('data.lab_results_seq'),
  result              text not null check (result in ('pass', 'fail')),
  lab_name            text check (length(lab_name) between 1 and 200),
  sample_id           text check (length(sample_id) between 1 and 200),
  sampled_on          date,
  tested_on           date,
  certificate_url     text check (length(certificate_url) <= 2000 and certificate_url ~ '^https?://[^[:space:]]+$'),
  certificate_sha256  text check (certificate_sha256 ~ '^[0-9a-f]{64}$'),
  data                jsonb not null default '{}' check (jsonb_typeof(data) = 'object'),
  supersedes_id       uuid,
  correction_reason   text check (length(correction_reason) between 1 and 2000),
  recorded_by         text not null,
  recorded_at         timestamptz not null default now(),
  primary key (brand_id, id),
  unique (brand_id, batch_id, id),
  -- a result is corrected at most once, by a result of the same batch
  unique (brand_id, batch_id, supersedes_id),
  foreign key (brand_id, batch_id) references data.batches (brand_id, id),
  foreign key (brand_id, batch_id, supersedes_id) references data.lab_results (brand_id, batch_id, id),
  check ((supersedes_id is null) = (correction_reason is null)),
  check (sampled_on is null or tested_on is null or sampled_on <= tested_on),
  check (supersedes_id is distinct from id)
);
create index if not exists lab_results__brand_id_batch_id_seq_idx on data.lab_results (brand_id, batch_id, seq desc);

create table if not exists data.lab_result_analytes (
  brand_id       uuid not null references data.brands (id) on delete cascade,
  lab_result_id  uuid not null,
  position       integer not null check (position between 1 and 500),
  name           text not null check (length(name) between 1 and 100 and name = btrim(name)),
  display_name   text check (length(display_name) between 1 and 200),
  value          numeric check (value > -1e15 and value < 1e15),
  max            numeric check (max > -1e15 and max < 1e15),
  unit           text check (length(unit) between 1 and 32),
  "limit"        numeric check ("limit" > -1e15 and "limit" < 1e15),
  result         text check (result in ('pass', 'fail')),
  primary key (brand_id, lab_result_id, position),
  foreign key (brand_id, lab_result_id) references data.lab_results (brand_id, id)
);
create unique index if not exists lab_result_analytes__brand_id_lab_result_id_lower_name_key
  on data.lab_result_analytes (brand_id, lab_result_id, lower(name));

-- Holds: open until released; location_id null = the whole batch, else only its stock at that location.
create table if not exists data.holds (
  brand_id       uuid not null references data.brands (id) on delete cascade,
  id             uuid not null default gen_random_uuid(),
  batch_id       uuid not null,
  location_id    uuid,
  reason_code    text not null check (reason_code in ('lab_pending', 'lab_failed', 'damaged', 'expired', 'recalled', 'regulatory', 'other')),
  note           text check (length(note) between 1 and 2000),
  status         text not null default 'open' check (status in ('open', 'released')),
  -- manual: place_hold; release_gate: a new batch of a gated product; lab_result: a failed result
  source         text not null default 'manual' check (source in ('manual', 'release_gate', 'lab_result')),
  lab_result_id  uuid,
  placed_by      text not null,
  placed_at      timestamptz not null default now(),
  released_by    text,
  released_at    timestamptz,
  release_note   text check (length(release_note) between 1 and 2000),
  primary key (brand_id, id),
  foreign key (brand_id, batch_id) references data.batches (brand_id, id),
  foreign key (brand_id, location_id) references data.locations (brand_id, id),
  foreign key (brand_id, lab_result_id) references data.lab_results (brand_id, id),
  check ((status = 'released') = (released_at is not null and released_by is not null)),
  check ((source = 'lab_result') = (lab_result_id is not null))
);
create index if not exists holds__brand_id_batch_id_idx on data.holds (brand_id, batch_id, status);
create index if not exists holds__brand_id_location_id_idx on data.holds (brand_id, location_id) where location_id is not null;
create index if not exists holds__brand_id_lab_result_id_idx on data.holds (brand_id, lab_result_id) where lab_result_id is not null;
create index if not exists holds__brand_id_status_placed_at_idx on data.holds (brand_id, status, placed_at, id);
-- one open hold per (batch, scope, reason): placing it again is a 409 naming the open one
create unique index if not exists holds__brand_id_batch_id_scope_reason_code_open_key on data.holds
  (brand_id, batch_id, coalesce(location_id, '00000000-0000-0000-0000-000000000000'::uuid), reason_code) where status = 'open';

-- Pick lists: stock of one product at one location reserved batch by batch (first expiry first out),
-- then picked (the stock leaves) or released. Reserved lines are committed stock, like pending transfers.
create table if not exists data.picks (
  brand_id        uuid not null references data.brands (id) on delete cascade,
  id              uuid not null default gen_random_uuid(),
  number          text not null check (number ~ '^PK-[0-9]{6,}$'),
  status          text not null default 'reserved' check (status in ('reserved', 'picked', 'released')),
  product_id      uuid not null,
  location_id     uuid not null,
  quantity        numeric not null check (quantity > 0 and quantity < 1e15),
  note            text check (length(note) <= 2000),
  created_by      text not null,
  created_at      timestamptz not null default now(),
  updated_by      text,
  updated_at      timestamptz not null default now(),
  version         integer not null default 1,
  picked_by       text,
  picked_at       timestamptz,
  released_by     text,
  released_at     timestamptz,
  release_reason  text check (length(release_reason) <= 2000),
  primary key (brand_id, id),
  unique (brand_id, number),
  foreign key (brand_id, product_id) references data.products (brand_id, id),
  foreign key (brand_id, location_id) references data.locations (brand_id, id),
  check ((status = 'picked') = (picked_at is not null and picked_by is not null)),
  check ((status = 'released') = (released_at is not null and released_by is not null))
);
create index if not exists picks__brand_id_product_id_idx on data.picks (brand_id, product_id);
create index if not exists picks__brand_id_location_id_idx on data.picks (brand_id, location_id, status);
create index if not exists picks__brand_id_status_created_at_idx on data.picks (brand_id, status, created_at, id);

create table if not exists data.pick_lines (
  brand_id  uuid not null references data.brands (id) on delete cascade,
  pick_id   uuid not null,
  position  integer not null check (position between 1 and 500),
  batch_id  uuid not null,
  quantity  numeric not null check (quantity > 0 and quantity < 1e15),
  primary key (brand_id, pick_id, position),
  unique (brand_id, pick_id, batch_id),
  foreign key (brand_id, pick_id) references data.picks (brand_id, id),
  foreign key (brand_id, batch_id) references data.batches (brand_id, id)
);
create index if not exists pick_lines__brand_id_batch_id_idx on data.pick_lines (brand_id, batch_id, pick_id);

-- The ledger: reservations and releases point at a transfer or a pick; a pick takes stock out.
alter table data.stock_movements add column if not exists pick_id uuid;
do $$
begin
  if not exists (select from pg_catalog.pg_constraint where conrelid = 'data.stock_movements'::regclass
                                                         and conname = 'stock_movements_pick_id_fkey') then
    alter table data.stock_movements
      add constraint stock_movements_pick_id_fkey foreign key (brand_id, pick_id) references data.picks (brand_id, id);
  end if;
end
$$;

-- The ledger's kinds and what each may change and must point at: one set for every kind (inventory, genealogy
-- consumption/production, picks). Replaces the earlier kind checks (the first migration's are unnamed: found
-- by what they say) unless this set is there.
do $$
declare r record;
begin
  if not exists (select from pg_catalog.pg_constraint where conrelid = 'data.stock_movements'::regclass
                                                         and conname = 'stock_movements_movement_check'
                                                         and pg_catalog.pg_get_constraintdef(oid) like '%production%') then
    for r in select c.conname from pg_catalog.pg_constraint c
              where c.conrelid = 'data.stock_movements'::regclass and c.contype = 'c'
                and (pg_catalog.pg_get_constraintdef(c.oid) like '%CASE kind%'
                     or pg_catalog.pg_get_constraintdef(c.oid) like '%(kind = ANY%') loop
      execute format('alter table data.stock_movements drop constraint %I', r.conname);
    end loop;
    alter table data.stock_movements
      add constraint stock_movements_kind_check check (kind in (
        'receipt', 'adjustment', 'transfer_out', 'transfer_in', 'reservation', 'release', 'consumption', 'production', 'pick')),
      add constraint stock_movements_movement_check check (case kind
        when 'receipt'      then quantity_delta > 0 and committed_delta = 0 and inbound_id is not null
        when 'adjustment'   then quantity_delta <> 0 and committed_delta = 0 and reason is not null
        when 'transfer_out' then quantity_delta < 0 and committed_delta = 0 and transfer_id is not null
        when 'transfer_in'  then quantity_delta > 0 and committed_delta = 0 and transfer_id is not null
        when 'reservation'  then quantity_delta = 0 and committed_delta > 0 and num_nonnulls(transfer_id, pick_id) = 1
        when 'release'      then quantity_delta = 0 and committed_delta < 0 and num_nonnulls(transfer_id, pick_id) = 1
        when 'consumption'  then quantity_delta < 0 and committed_delta = 0 and trace_event_id is not null
        when 'production'   then quantity_delta > 0 and committed_delta = 0 and trace_event_id is not null
        when 'pick'         then quantity_delta < 0 and committed_delta = 0 and pick_id is not null
        else false end);
  end if;
end
$$;
create index if not exists stock_movements__brand_id_pick_id_idx on data.stock_movements (brand_id, pick_id) where pick_id is not null;

-- pick suggestions read a product's batches first expiry first out, then first received
create index if not exists batches__brand_id_product_id_expiry_date_idx
  on data.batches (brand_id, product_id, expiry_date, received_date, created_at, id);

-- list_expiring_batches: batches by expiry date
create index if not exists batches__brand_id_expiry_date_idx on data.batches (brand_id, expiry_date, id) where expiry_date is not null;


-- events: audit trail, transactional outbox (change feed), webhooks and their delivery log.
-- Idempotent (graphile-migrate re-runs the current migration). docs/events.md explains the model.
-- The audit and event stores have no foreign key to brands on purpose: they must outlive what they record.

-- Audit trail: one row per changed row of every audited data table, written by app.tg__audit() in the
-- same transaction. Partitioned by month on `at`; partitions are made by app.audit_maintain().
create sequence if not exists data.audit_events_id_seq as bigint;
create table if not exists data.audit_events (
  brand_id    uuid not null,
  id          bigint not null default nextval('data.audit_events_id_seq'),
  at          timestamptz not null default now(),
  xid         xid8 not null default pg_current_xact_id(),
  table_name  text not null,
  action      text not null check (action in ('insert', 'update', 'delete')),
  row_id      text not null,
  changed     text[],
  old_values  jsonb,
  new_values  jsonb,
  actor       text,
  db_role     text not null,
  request_id  text,
  door        text not null check (door in ('http', 'sql')),
  primary key (brand_id, id, at)
) partition by range (at);
comment on table data.audit_events is
  'Audit trail: who changed which row of which table, when, through which door and request, with old and new values. Append-only; partitioned by month.';
-- "what happened to this row"; by user or time, the primary key's (brand_id, id) order is scanned newest first
create index if not exists audit_events__brand_id_table_name_row_id_idx on data.audit_events (brand_id, table_name, row_id, id);
-- rows whose month has no partition yet land here instead of failing the write (app.audit_maintain reports them)
create table if not exists data.audit_events_default partition of data.audit_events default;

-- The outbox: domain events written in the same transaction as the change. Feed order is (xid, seq);
-- only transactions below the reader's snapshot xmin are served (api.list_changes).
create sequence if not exists data.events_seq_seq as bigint;
create table if not exists data.events (
  brand_id     uuid not null,
  xid          xid8 not null default pg_current_xact_id(),
  seq          bigint not null default nextval('data.events_seq_seq'),
  id           uuid not null default gen_random_uuid(),
  type         text not null check (type ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$'),
  subject      text,
  data         jsonb not null default '{}',
  actor        text,
  request_id   text,
  occurred_at  timestamptz not null default now(),
  primary key (brand_id, xid, seq)
);
comment on table data.events is
  'Transactional outbox of domain events (batch.created, stock.moved, …). Append-only. Read through api.list_changes, GET /events and webhooks.';

-- Webhook endpoints of a brand. The signing secret is readable only by the delivery worker's helpers.
create table if not exists data.webhooks (
  brand_id         uuid not null references data.brands (id) on delete cascade,
  id               uuid not null default gen_random_uuid(),
  url              text not null check (length(url) <= 2000 and url ~ '^https?://[^/?#@\s]+(/[^\s]*)?$'),
  events           text[] not null default '{}',
  description      text check (length(description) <= 500),
  secret           text not null check (secret ~ '^whsec_[A-Za-z0-9+/]{32,88}={0,2}$'),
  status           text not null default 'active' check (status in ('active', 'disabled')),
  disabled_reason  text check (length(disabled_reason) <= 500),
  max_attempts     integer not null default 10 check (max_attempts between 1 and 30),
  created_by       text,
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now(),
  version          integer not null default 1,
  primary key (brand_id, id)
);
comment on table data.webhooks is
  'Webhook endpoints: URL, event types (patterns), signing secret (Standard Webhooks), status and retry limit.';

-- Where each endpoint is in its brand's feed (moved by the delivery worker; kept apart from the endpoint's
-- settings so that moving it neither bumps their version nor fills the audit trail).
create table if not exists data.webhook_cursors (
  brand_id    uuid not null,
  webhook_id  uuid not null,
  xid         xid8 not null,
  seq         bigint not null default 0,
  primary key (brand_id, webhook_id),
  foreign key (brand_id, webhook_id) references data.webhooks (brand_id, id) on delete cascade
);

-- One delivery per (endpoint, event), delivered in seq order per endpoint. A redelivery is a new row.
create sequence if not exists data.webhook_deliveries_seq_seq as bigint;
create table if not exists data.webhook_deliveries (
  brand_id         uuid not null,
  id               uuid not null default gen_random_uuid(),
  seq              bigint not null default nextval('data.webhook_deliveries_seq_seq'),
  webhook_id       uuid not null,
  event_xid        xid8 not null,
  event_seq        bigint not null,
  event_id         uuid not null,
  event_type       text not null,
  state            text not null default 'pending' check (state in ('pending', 'in_flight', 'delivered', 'dead')),
  attempts         integer not null default 0 check (attempts >= 0),
  next_attempt_at  timestamptz not null default now(),
  lease_until      timestamptz,
  last_status      integer,
  last_error       text,
  delivered_at     timestamptz,
  redelivery_of    uuid,
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now(),
  primary key (brand_id, id),
  foreign key (brand_id, webhook_id) references data.webhooks (brand_id, id) on delete cascade
);
create index if not exists webhook_deliveries__brand_id_webhook_id_seq_idx on data.webhook_deliveries (brand_id, webhook_id, seq);
create index if not exists webhook_deliveries__open_idx on data.webhook_deliveries (brand_id, webhook_id, seq)
  where state in ('pending', 'in_flight');

-- The delivery log: one row per attempt (status code or error, duration, which worker).
create table if not exists data.webhook_attempts (
  brand_id     uuid not null,
  delivery_id  uuid not null,
  attempt      integer not null check (attempt >= 1),
  worker       text not null,
  started_at   timestamptz not null,
  finished_at  timestamptz not null default now(),
  status_code  integer,
  error        text check (length(error) <= 1000),
  duration_ms  integer,
  primary key (brand_id, delivery_id, attempt),
  foreign key (brand_id, delivery_id) references data.webhook_deliveries (brand_id, id) on delete cascade
);

-- core: bounded values and table-level rules. Dates are real calendar days in 1900-01-01..9999-12-31,
-- quantities are finite, below 1e15 in magnitude, with at most 6 decimal places, and every data column of
-- those kinds is checked against the domain, so every door meets the bound (docs/security.md).
-- Rules the api functions enforce are also constraints here, so a direct write meets them too.
-- Idempotent: each step checks whether it is done. A step that existing rows break fails the migration
-- naming the rule (fix or delete those rows, or start from an empty database, and migrate again).

-- Adds check constraint _name to _table unless it is there; rows that break it become an error saying what to do.
create or replace function pg_temp.lotline_add_check(_table regclass, _name text, _check text)
returns void
language plpgsql
as $$
begin
  if exists (select from pg_catalog.pg_constraint c where c.conrelid = _table and c.conname = _name) then
    return;
  end if;
  execute format('alter table %s add constraint %I check (%s)', _table, _name, _check);
exception when check_violation then
  raise exception 'migrate: existing rows of % break "%" (%): %', _table, _name, _check, sqlerrm
    using hint = 'Fix or delete those rows (or start from an empty database), then migrate again.';
end
$$;

-- A stored date: a real day between 1900-01-01 and 9999-12-31 (no infinity, no BC, no year 294276).
do $$
begin
  if to_regtype('data.calendar_date') is null then
    create domain data.calendar_date as date
      constraint calendar_date_1900_to_9999 check (value between date '1900-01-01' and date '9999-12-31');
  end if;
  -- A date as callers write it: exactly YYYY-MM-DD, a real calendar day, year 1900-9999. The check is
  -- the same predicate as app.iso_date_ok (sql/core/checks.sql; a test proves they agree, and that the
  -- generated zod schema agrees with both). Without exceptions, so it also works on PostgreSQL 15.
  if to_regtype('data.iso_date') is null then
    create domain data.iso_date as text
      constraint iso_date_yyyy_mm_dd_1900_to_9999 check (
        case when value !~ '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$' then false
             else substr(value, 1, 4)::integer >= 1900
                  and substr(value, 9, 2)::integer <= case substr(value, 6, 2)::integer
                        when 2 then case when substr(value, 1, 4)::integer % 4 = 0
                                              and (substr(value, 1, 4)::integer % 100 <> 0 or substr(value, 1, 4)::integer % 400 = 0)
                                         then 29 else 28 end
                        when 4 then 30 when 6 then 30 when 9 then 30 when 11 then 30
                        else 31 end
             end);
  end if;
  -- A quantity (or a change of one): finite, |q| < 1e15, at most 6 decimal places (micro-units).
  if to_regtype('data.quantity') is null then
    create domain data.quantity as numeric
      constraint quantity_finite_below_1e15_max_6_decimals
        check (value > -1e15 and value < 1e15 and value = round(value, 6));
  end if;
end
$$;

-- Every date and quantity column is checked against its domain. A check rather than the domain as the
-- column's type: functions that RETURN QUERY a column into a declared date or numeric result would
-- otherwise fail (42804: the domain is not the declared type), in every room that reads these columns.
do $$
declare r record;
begin
  for r in
    select * from (values
      ('data.batches'::regclass, 'production_date', 'data.calendar_date'::regtype),
      ('data.batches', 'received_date', 'data.calendar_date'),
      ('data.batches', 'expiry_date', 'data.calendar_date'),
      ('data.inbound_lines', 'expiry_date', 'data.calendar_date'),
      ('data.batches', 'quantity', 'data.quantity'),
      ('data.inbound_lines', 'quantity', 'data.quantity'),
      ('data.transfer_lines', 'quantity', 'data.quantity'),
      ('data.stock', 'quantity', 'data.quantity'),
      ('data.stock', 'committed', 'data.quantity'),
      ('data.stock_movements', 'quantity_delta', 'data.quantity'),
      ('data.stock_movements', 'committed_delta', 'data.quantity'),
      ('data.stock_movements', 'quantity_after', 'data.quantity'),
      ('data.stock_movements', 'committed_after', 'data.quantity'),
      ('data.due_diligence_statements', 'net_mass_kg', 'data.quantity'),
      ('data.serial_usage', 'day', 'data.calendar_date'),
      ('data.genealogy_edges', 'quantity', 'data.quantity'),
      ('data.lab_results', 'sampled_on', 'data.calendar_date'),
      ('data.lab_results', 'tested_on', 'data.calendar_date'),
      ('data.lab_result_analytes', 'value', 'data.quantity'),
      ('data.lab_result_analytes', 'max', 'data.quantity'),
      ('data.lab_result_analytes', 'limit', 'data.quantity'),
      ('data.picks', 'quantity', 'data.quantity'),
      ('data.pick_lines', 'quantity', 'data.quantity')
    ) as t (tbl, col, typ)
  loop
    perform pg_temp.lotline_add_check(r.tbl, format('%s_is_%s', r.col, (select t.typname from pg_catalog.pg_type t where t.oid = r.typ)),
                                      format('%I::%s = %I', r.col, r.typ, r.col));
  end loop;

  -- Rules of the api functions that are properties of a row: checks on the table, so direct writes meet them.
  for r in
    select * from (values
      ('data.batches'::regclass, 'batches_expiry_not_before_production',
       'expiry_date is null or production_date is null or expiry_date >= production_date'),
      ('data.brand_members', 'brand_members_user_id_printable',
       'user_id = btrim(user_id) and user_id !~ ''[[:cntrl:]]'''),
      ('data.products', 'products_gtin_check_digit',
       'case when gtin is null then true when gtin !~ ''^[0-9]{14}$'' then false'
       || ' else (10 - (3 * (substr(gtin, 1, 1)::integer + substr(gtin, 3, 1)::integer + substr(gtin, 5, 1)::integer'
       || ' + substr(gtin, 7, 1)::integer + substr(gtin, 9, 1)::integer + substr(gtin, 11, 1)::integer + substr(gtin, 13, 1)::integer)'
       || ' + substr(gtin, 2, 1)::integer + substr(gtin, 4, 1)::integer + substr(gtin, 6, 1)::integer + substr(gtin, 8, 1)::integer'
       || ' + substr(gtin, 10, 1)::integer + substr(gtin, 12, 1)::integer) % 10) % 10 = substr(gtin, 14, 1)::integer end'),
      ('data.products', 'products_attributes_max_64k', 'length(attributes::text) <= 65536'),
      ('data.batches', 'batches_attributes_max_64k', 'length(attributes::text) <= 65536'),
      ('data.suppliers', 'suppliers_attributes_max_64k', 'length(attributes::text) <= 65536')
    ) as t (tbl, name, expr)
  loop
    perform pg_temp.lotline_add_check(r.tbl, r.name, r.expr);
  end loop;
  -- text a caller writes has no control characters other than tab, newline and carriage return (app.check_text)
  for r in
    select * from (values
      ('data.brands'::regclass, 'name'), ('data.products', 'external_id'), ('data.products', 'name'), ('data.products', 'sku'),
      ('data.products', 'ean'), ('data.products', 'article_code'), ('data.products', 'unit'),
      ('data.batches', 'batch_number'), ('data.batches', 'external_id'), ('data.batches', 'unit'),
      ('data.batches', 'facility_ref'), ('data.batches', 'recall_message'),
      ('data.suppliers', 'external_id'), ('data.suppliers', 'name'), ('data.suppliers', 'address'), ('data.suppliers', 'email'),
      ('data.locations', 'name'), ('data.locations', 'note')
    ) as t (tbl, col)
  loop
    perform pg_temp.lotline_add_check(r.tbl, r.col || '_printable', format('%I !~ ''[\u0001-\u0008\u000B\u000C\u000E-\u001F]''', r.col));
  end loop;
end
$$;
