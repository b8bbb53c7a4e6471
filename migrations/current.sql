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
declare r record;
begin
  if not exists (select from pg_catalog.pg_constraint where conrelid = 'data.stock_movements'::regclass
                                                         and conname = 'stock_movements_pick_id_fkey') then
    alter table data.stock_movements
      add constraint stock_movements_pick_id_fkey foreign key (brand_id, pick_id) references data.picks (brand_id, id);
  end if;
  if not exists (select from pg_catalog.pg_constraint where conrelid = 'data.stock_movements'::regclass
                                                         and conname = 'stock_movements_movement_check') then
    -- the kind list and the per-kind check of the first migration (unnamed there: found by what they say)
    for r in select c.conname from pg_catalog.pg_constraint c
              where c.conrelid = 'data.stock_movements'::regclass and c.contype = 'c'
                and (pg_catalog.pg_get_constraintdef(c.oid) like '%CASE kind%'
                     or pg_catalog.pg_get_constraintdef(c.oid) like '%(kind = ANY%') loop
      execute format('alter table data.stock_movements drop constraint %I', r.conname);
    end loop;
    alter table data.stock_movements
      add constraint stock_movements_kind_check
        check (kind in ('receipt', 'adjustment', 'transfer_out', 'transfer_in', 'reservation', 'release', 'pick')),
      -- what each kind of movement may change, and what it must point at
      add constraint stock_movements_movement_check check (case kind
        when 'receipt'      then quantity_delta > 0 and committed_delta = 0 and inbound_id is not null
        when 'adjustment'   then quantity_delta <> 0 and committed_delta = 0 and reason is not null
        when 'transfer_out' then quantity_delta < 0 and committed_delta = 0 and transfer_id is not null
        when 'transfer_in'  then quantity_delta > 0 and committed_delta = 0 and transfer_id is not null
        when 'reservation'  then quantity_delta = 0 and committed_delta > 0 and num_nonnulls(transfer_id, pick_id) = 1
        when 'release'      then quantity_delta = 0 and committed_delta < 0 and num_nonnulls(transfer_id, pick_id) = 1
        when 'pick'         then quantity_delta < 0 and committed_delta = 0 and pick_id is not null
      end);
  end if;
end
$$;
create index if not exists stock_movements__brand_id_pick_id_idx on data.stock_movements (brand_id, pick_id) where pick_id is not null;

-- pick suggestions read a product's batches first expiry first out, then first received
create index if not exists batches__brand_id_product_id_expiry_date_idx
  on data.batches (brand_id, product_id, expiry_date, received_date, created_at, id);

-- list_expiring_batches: batches by expiry date
create index if not exists batches__brand_id_expiry_date_idx on data.batches (brand_id, expiry_date, id) where expiry_date is not null;
