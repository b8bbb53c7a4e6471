-- Inventory: locations, inbound receipts, stock per (batch, location), the append-only stock ledger,
-- and transfers between locations. docs/inventory.md explains the model and its invariants.
-- Written idempotently (graphile-migrate re-runs the current migration while it is developed).
--
-- Invariants (enforced here and by the SECURITY DEFINER helpers in sql/app/70-inventory.sql, which are
-- the only writers of stock, stock_movements, inbounds, transfers and their lines):
--   * stock.quantity >= 0, stock.committed >= 0, stock.committed <= stock.quantity (constraints);
--   * for every (brand, batch, location): sum(movements.quantity_delta) = stock.quantity and
--     sum(movements.committed_delta) = stock.committed (both are written together, under a lock);
--   * stock.committed = the sum of the lines of the pending transfers leaving that location;
--   * stock_movements is append-only (trigger in sql/policies/stock_movements.sql).

create table if not exists data.locations (
  brand_id     uuid not null references data.brands (id) on delete cascade,
  id           uuid not null default gen_random_uuid(),
  name         text not null check (length(btrim(name)) between 1 and 200 and name = btrim(name)),
  kind         text not null default 'warehouse' check (kind in ('warehouse', 'room', 'shop', 'vehicle', 'other')),
  note         text check (length(note) <= 2000),
  created_by   text,
  created_at   timestamptz not null default now(),
  updated_at   timestamptz not null default now(),
  version      integer not null default 1,
  archived_at  timestamptz,
  primary key (brand_id, id)
);
comment on table data.locations is 'Where stock lives (warehouse, room, shop, …). Archived locations keep their history but take no new stock.';
-- names are unique among a brand's live locations (an archived name can be reused)
create unique index if not exists locations__brand_id_lower_name_key on data.locations (brand_id, lower(name)) where archived_at is null;
create index if not exists locations__brand_id_name_idx on data.locations (brand_id, name, id);

-- An inbound receipt (seed D): goods received at a location; its lines created or reused batches.
create table if not exists data.inbounds (
  brand_id            uuid not null references data.brands (id) on delete cascade,
  id                  uuid not null default gen_random_uuid(),
  number              text not null check (number ~ '^IN-[0-9]{6,}$'),
  location_id         uuid not null,
  reference           text check (length(reference) between 1 and 200),
  external_reference  text check (length(external_reference) between 1 and 200),
  note                text check (length(note) <= 2000),
  received_at         timestamptz not null default now(),
  created_by          text not null,
  created_at          timestamptz not null default now(),
  primary key (brand_id, id),
  unique (brand_id, number),
  -- idempotency key of the sender: the same external reference cannot be received twice
  unique (brand_id, external_reference),
  foreign key (brand_id, location_id) references data.locations (brand_id, id)
);
create index if not exists inbounds__brand_id_location_id_idx on data.inbounds (brand_id, location_id, created_at, id);
create index if not exists inbounds__brand_id_created_at_idx on data.inbounds (brand_id, created_at, id);

create table if not exists data.inbound_lines (
  brand_id       uuid not null references data.brands (id) on delete cascade,
  inbound_id     uuid not null,
  line_no        integer not null check (line_no >= 1),
  product_id     uuid not null,
  batch_id       uuid not null,
  quantity       numeric not null check (quantity > 0 and quantity < 1e15),
  expiry_date    date,
  batch_created  boolean not null default false,
  primary key (brand_id, inbound_id, line_no),
  foreign key (brand_id, inbound_id) references data.inbounds (brand_id, id),
  foreign key (brand_id, product_id) references data.products (brand_id, id),
  foreign key (brand_id, batch_id) references data.batches (brand_id, id)
);
create index if not exists inbound_lines__brand_id_batch_id_idx on data.inbound_lines (brand_id, batch_id);
create index if not exists inbound_lines__brand_id_product_id_idx on data.inbound_lines (brand_id, product_id);

-- Stock per (batch, location). available = quantity - committed (committed = reserved by pending transfers).
create table if not exists data.stock (
  brand_id     uuid not null references data.brands (id) on delete cascade,
  batch_id     uuid not null,
  location_id  uuid not null,
  quantity     numeric not null default 0,
  committed    numeric not null default 0,
  available    numeric generated always as (quantity - committed) stored,
  created_at   timestamptz not null default now(),
  updated_at   timestamptz not null default now(),
  primary key (brand_id, batch_id, location_id),
  foreign key (brand_id, batch_id) references data.batches (brand_id, id),
  foreign key (brand_id, location_id) references data.locations (brand_id, id),
  constraint stock_quantity_nonnegative check (quantity >= 0),
  constraint stock_committed_nonnegative check (committed >= 0),
  constraint stock_committed_within_quantity check (committed <= quantity)
);
comment on table data.stock is 'Balance per (batch, location). Written only by the inventory definer helpers, together with data.stock_movements.';
create index if not exists stock__brand_id_location_id_idx on data.stock (brand_id, location_id, batch_id);

-- Transfers between two locations of a brand (seed E): pending → accepted | declined | cancelled.
create table if not exists data.transfers (
  brand_id          uuid not null references data.brands (id) on delete cascade,
  id                uuid not null default gen_random_uuid(),
  number            text not null check (number ~ '^TR-[0-9]{6,}$'),
  status            text not null default 'pending' check (status in ('pending', 'accepted', 'declined', 'cancelled')),
  from_location_id  uuid not null,
  to_location_id    uuid not null,
  note              text check (length(note) <= 2000),
  created_by        text not null,
  created_at        timestamptz not null default now(),
  updated_by        text,
  updated_at        timestamptz not null default now(),
  version           integer not null default 1,
  accepted_by       text,
  accepted_at       timestamptz,
  declined_by       text,
  declined_at       timestamptz,
  decline_reason    text check (length(decline_reason) <= 2000),
  cancelled_by      text,
  cancelled_at      timestamptz,
  cancel_reason     text check (length(cancel_reason) <= 2000),
  primary key (brand_id, id),
  unique (brand_id, number),
  foreign key (brand_id, from_location_id) references data.locations (brand_id, id),
  foreign key (brand_id, to_location_id) references data.locations (brand_id, id),
  check (from_location_id <> to_location_id),
  check ((status = 'accepted') = (accepted_at is not null and accepted_by is not null)),
  check ((status = 'declined') = (declined_at is not null and declined_by is not null)),
  check ((status = 'cancelled') = (cancelled_at is not null and cancelled_by is not null))
);
create index if not exists transfers__brand_id_from_location_id_idx on data.transfers (brand_id, from_location_id, status);
create index if not exists transfers__brand_id_to_location_id_idx on data.transfers (brand_id, to_location_id, status);
create index if not exists transfers__brand_id_status_created_at_idx on data.transfers (brand_id, status, created_at, id);
create index if not exists transfers__brand_id_created_at_idx on data.transfers (brand_id, created_at, id);

create table if not exists data.transfer_lines (
  brand_id     uuid not null references data.brands (id) on delete cascade,
  transfer_id  uuid not null,
  batch_id     uuid not null,
  quantity     numeric not null check (quantity > 0 and quantity < 1e15),
  primary key (brand_id, transfer_id, batch_id),
  foreign key (brand_id, transfer_id) references data.transfers (brand_id, id),
  foreign key (brand_id, batch_id) references data.batches (brand_id, id)
);
create index if not exists transfer_lines__brand_id_batch_id_idx on data.transfer_lines (brand_id, batch_id, transfer_id);

-- The stock ledger: every change of data.stock, with who, when, why and what caused it. Append-only.
-- Its id comes from a free-standing sequence (not an identity column: sql/finalize.sql hands every data
-- sequence to lotline_owner, which Postgres refuses for a sequence linked to its table).
create sequence if not exists data.stock_movements_id_seq as bigint;
create table if not exists data.stock_movements (
  brand_id         uuid not null references data.brands (id) on delete cascade,
  id               bigint not null default nextval('data.stock_movements_id_seq'),
  kind             text not null check (kind in ('receipt', 'adjustment', 'transfer_out', 'transfer_in', 'reservation', 'release')),
  batch_id         uuid not null,
  location_id      uuid not null,
  quantity_delta   numeric not null default 0,
  committed_delta  numeric not null default 0,
  quantity_after   numeric not null check (quantity_after >= 0),
  committed_after  numeric not null check (committed_after >= 0 and committed_after <= quantity_after),
  reason           text check (length(reason) <= 2000),
  inbound_id       uuid,
  transfer_id      uuid,
  actor            text not null,
  created_at       timestamptz not null default now(),
  primary key (brand_id, id),
  foreign key (brand_id, batch_id, location_id) references data.stock (brand_id, batch_id, location_id),
  foreign key (brand_id, batch_id) references data.batches (brand_id, id),
  foreign key (brand_id, location_id) references data.locations (brand_id, id),
  foreign key (brand_id, inbound_id) references data.inbounds (brand_id, id),
  foreign key (brand_id, transfer_id) references data.transfers (brand_id, id),
  -- what each kind of movement may change, and what it must point at
  check (case kind
    when 'receipt'      then quantity_delta > 0 and committed_delta = 0 and inbound_id is not null
    when 'adjustment'   then quantity_delta <> 0 and committed_delta = 0 and reason is not null
    when 'transfer_out' then quantity_delta < 0 and committed_delta = 0 and transfer_id is not null
    when 'transfer_in'  then quantity_delta > 0 and committed_delta = 0 and transfer_id is not null
    when 'reservation'  then quantity_delta = 0 and committed_delta > 0 and transfer_id is not null
    when 'release'      then quantity_delta = 0 and committed_delta < 0 and transfer_id is not null
  end)
);
comment on table data.stock_movements is 'Append-only stock ledger; sums per (batch, location) equal data.stock. quantity_after/committed_after: the balance after the movement.';
create index if not exists stock_movements__brand_id_batch_id_location_id_idx on data.stock_movements (brand_id, batch_id, location_id, id);
create index if not exists stock_movements__brand_id_location_id_idx on data.stock_movements (brand_id, location_id, id);
create index if not exists stock_movements__brand_id_inbound_id_idx on data.stock_movements (brand_id, inbound_id) where inbound_id is not null;
create index if not exists stock_movements__brand_id_transfer_id_idx on data.stock_movements (brand_id, transfer_id) where transfer_id is not null;
