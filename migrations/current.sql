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

-- The stock ledger learns consumption (inputs leaving) and production (outputs arriving), each linked to its event.
alter table data.stock_movements add column if not exists trace_event_id uuid;
do $$
declare r record;
begin
  if not exists (select from pg_constraint where conrelid = 'data.stock_movements'::regclass and conname = 'stock_movements_trace_event_fkey') then
    alter table data.stock_movements add constraint stock_movements_trace_event_fkey
      foreign key (brand_id, trace_event_id) references data.genealogy_events (brand_id, id);
  end if;
  if not exists (select from pg_constraint where conrelid = 'data.stock_movements'::regclass and conname = 'stock_movements_kind_rules') then
    -- replace the first kind list and its per-kind rules (unnamed checks) by named ones that know the new kinds
    for r in select conname from pg_constraint
              where conrelid = 'data.stock_movements'::regclass and contype = 'c'
                and (pg_get_constraintdef(oid) like '%CASE kind%' or pg_get_constraintdef(oid) like '%kind = ANY%') loop
      execute format('alter table data.stock_movements drop constraint %I', r.conname);
    end loop;
    alter table data.stock_movements add constraint stock_movements_kind_allowed check (kind in (
      'receipt', 'adjustment', 'transfer_out', 'transfer_in', 'reservation', 'release', 'consumption', 'production'));
    alter table data.stock_movements add constraint stock_movements_kind_rules check (case kind
      when 'receipt'      then quantity_delta > 0 and committed_delta = 0 and inbound_id is not null
      when 'adjustment'   then quantity_delta <> 0 and committed_delta = 0 and reason is not null
      when 'transfer_out' then quantity_delta < 0 and committed_delta = 0 and transfer_id is not null
      when 'transfer_in'  then quantity_delta > 0 and committed_delta = 0 and transfer_id is not null
      when 'reservation'  then quantity_delta = 0 and committed_delta > 0 and transfer_id is not null
      when 'release'      then quantity_delta = 0 and committed_delta < 0 and transfer_id is not null
      when 'consumption'  then quantity_delta < 0 and committed_delta = 0 and trace_event_id is not null
      when 'production'   then quantity_delta > 0 and committed_delta = 0 and trace_event_id is not null
      else false end);
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
