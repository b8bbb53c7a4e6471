--! Previous: -
--! Hash: sha1:0bd24c6a2ca93828b8e510afee0a212680a4b771
--! Message: lotline schema: tenancy, products, batches, sync, inventory, serials

--! split: 001-core.sql
-- Core state: brands (tenants), members, suppliers, products, batches.
-- Every table carries brand_id; keys and foreign keys include it (DESIGN.md "Tenancy").
-- Written idempotently (graphile-migrate re-runs the current migration while it is developed).

create schema if not exists data;

create table if not exists data.brands (
  id          uuid primary key default gen_random_uuid(),
  name        text not null check (length(btrim(name)) between 1 and 200),
  slug        text not null unique check (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  created_by  text not null,
  created_at  timestamptz not null default now(),
  updated_at  timestamptz not null default now(),
  version     integer not null default 1
);
comment on table data.brands is 'A brand is the tenant. Its id is the brand_id every other table carries.';

create table if not exists data.brand_members (
  brand_id    uuid not null references data.brands (id) on delete cascade,
  user_id     text not null check (length(user_id) between 1 and 200),
  role        text not null check (role in ('viewer', 'editor', 'admin', 'owner')),
  created_at  timestamptz not null default now(),
  primary key (brand_id, user_id)
);
-- membership is looked up by user (the JWT sub) for every statement's brand list
create index if not exists brand_members__user_id_idx on data.brand_members (user_id, brand_id);

create table if not exists data.suppliers (
  brand_id     uuid not null references data.brands (id) on delete cascade,
  id           uuid not null default gen_random_uuid(),
  external_id  text check (length(external_id) between 1 and 200),
  name         text not null check (length(btrim(name)) between 1 and 300),
  country      text check (country ~ '^[A-Z]{2}$'),
  address      text,
  email        text,
  attributes   jsonb not null default '{}' check (jsonb_typeof(attributes) = 'object'),
  created_at   timestamptz not null default now(),
  updated_at   timestamptz not null default now(),
  version      integer not null default 1,
  primary key (brand_id, id),
  unique (brand_id, external_id)
);
create index if not exists suppliers__brand_id_updated_at_idx on data.suppliers (brand_id, updated_at, id);

create table if not exists data.products (
  brand_id      uuid not null references data.brands (id) on delete cascade,
  id            uuid not null default gen_random_uuid(),
  external_id   text check (length(external_id) between 1 and 200),
  supplier_id   uuid,
  name          text not null check (length(btrim(name)) between 1 and 300),
  gtin          text check (gtin ~ '^[0-9]{14}$'),   -- stored normalised to GTIN-14
  sku           text check (length(sku) between 1 and 100),
  ean           text check (length(ean) between 1 and 50),
  article_code  text check (length(article_code) between 1 and 100),
  unit          text check (length(unit) between 1 and 32),
  expirable     boolean not null default false,
  serialized    boolean not null default false,
  attributes    jsonb not null default '{}' check (jsonb_typeof(attributes) = 'object'),
  created_at    timestamptz not null default now(),
  updated_at    timestamptz not null default now(),
  version       integer not null default 1,
  archived_at   timestamptz,
  primary key (brand_id, id),
  unique (brand_id, external_id),
  foreign key (brand_id, supplier_id) references data.suppliers (brand_id, id)
);
create index if not exists products__brand_id_supplier_id_idx on data.products (brand_id, supplier_id) where supplier_id is not null;
create index if not exists products__brand_id_updated_at_idx on data.products (brand_id, updated_at, id);
create index if not exists products__brand_id_name_idx on data.products (brand_id, lower(name));
create index if not exists products__brand_id_gtin_idx on data.products (brand_id, gtin) where gtin is not null;
create index if not exists products__gtin_idx on data.products (gtin) where gtin is not null;

create table if not exists data.batches (
  brand_id         uuid not null references data.brands (id) on delete cascade,
  id               uuid not null default gen_random_uuid(),
  product_id       uuid not null,
  batch_number     text not null check (length(btrim(batch_number)) between 1 and 100 and batch_number = btrim(batch_number)),
  external_id      text check (length(external_id) between 1 and 200),
  status           text not null default 'active' check (status in (
                     'active', 'received', 'in_testing', 'ready_for_sale', 'processing',
                     'in_transfer', 'recalled', 'archived')),
  production_date  date,
  received_date    date,
  expiry_date      date,
  quantity         numeric not null default 0 check (quantity >= 0),
  unit             text check (length(unit) between 1 and 32),
  facility_ref     text check (length(facility_ref) between 1 and 200),
  attributes       jsonb not null default '{}' check (jsonb_typeof(attributes) = 'object'),
  recall_message   text check (length(recall_message) <= 2000),
  public_id        text not null default replace(replace(rtrim(encode(uuid_send(gen_random_uuid()), 'base64'), '='), '+', '-'), '/', '_') unique,
  created_by       text,
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now(),
  version          integer not null default 1,
  archived_at      timestamptz,
  primary key (brand_id, id),
  unique (brand_id, product_id, batch_number),
  unique (brand_id, external_id),
  foreign key (brand_id, product_id) references data.products (brand_id, id),
  check (archived_at is null or status = 'archived')
);
comment on column data.batches.public_id is 'Unguessable id (122 random bits, URL-safe) for the public batch view; never the internal id.';
create index if not exists batches__brand_id_created_at_idx on data.batches (brand_id, created_at, id);
create index if not exists batches__brand_id_updated_at_idx on data.batches (brand_id, updated_at, id);
create index if not exists batches__brand_id_status_idx on data.batches (brand_id, status, created_at, id);
create index if not exists batches__brand_id_id_idx on data.batches (brand_id, id);
create index if not exists batches__brand_id_product_id_created_at_idx on data.batches (brand_id, product_id, created_at, id);
create index if not exists batches__brand_id_lower_batch_number_idx on data.batches (brand_id, lower(batch_number) text_pattern_ops);
create index if not exists products__brand_id_lower_sku_idx on data.products (brand_id, lower(sku) text_pattern_ops);
create index if not exists products__brand_id_ean_idx on data.products (brand_id, ean);
create index if not exists products__brand_id_lower_article_code_idx on data.products (brand_id, lower(article_code) text_pattern_ops);

-- Per-brand counters for human numbers (transfer TR-000001, inbound IN-000001, …).
create table if not exists data.brand_counters (
  brand_id  uuid not null references data.brands (id) on delete cascade,
  name      text not null check (name ~ '^[a-z_]{1,40}$'),
  value     bigint not null default 0 check (value >= 0),
  primary key (brand_id, name)
);

--! split: 002-sync.sql
-- Integration sync (issue 4, seed B): due-diligence statements drafted for synced batches.
-- data.suppliers / data.products / data.batches and their (brand_id, external_id) uniques live in 001-core.sql.
-- Idempotent: graphile-migrate re-runs the current migration while it is developed.

create table if not exists data.due_diligence_statements (
  brand_id             uuid not null references data.brands (id) on delete cascade,
  id                   uuid not null default gen_random_uuid(),
  batch_id             uuid not null,
  -- EUDR lifecycle in the EU information system; sync only ever creates 'draft'
  status               text not null default 'draft'
                       check (status in ('draft', 'submitted', 'available', 'rejected', 'cancelled', 'withdrawn')),
  reference_number     text check (length(reference_number) between 1 and 100),
  verification_number  text check (length(verification_number) between 1 and 100),
  source               text not null default 'sync' check (source in ('sync', 'manual')),
  created_by           text,
  created_at           timestamptz not null default now(),
  updated_at           timestamptz not null default now(),
  version              integer not null default 1,
  primary key (brand_id, id),
  -- no cascade: a batch with a statement must not vanish (delete_product_batch answers 409: archive it)
  foreign key (brand_id, batch_id) references data.batches (brand_id, id)
);
comment on table data.due_diligence_statements is
  'EUDR due-diligence statements per batch. upsert_batches(_auto_create_dds => true) drafts one for each batch it creates.';

-- foreign-key index (also serves "statements of a batch")
create index if not exists due_diligence_statements__brand_id_batch_id_idx
  on data.due_diligence_statements (brand_id, batch_id);
-- at most one open draft per batch: a retried push cannot draft twice
create unique index if not exists due_diligence_statements__brand_id_batch_id_draft_idx
  on data.due_diligence_statements (brand_id, batch_id) where status = 'draft';
create index if not exists due_diligence_statements__brand_id_created_at_idx
  on data.due_diligence_statements (brand_id, created_at, id);

--! split: 003-inventory.sql
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

--! split: 004-serials.sql
-- Serial numbers per batch (issue 6, seeds A and C): minted or imported (bring your own), each with an
-- unguessable public code for the consumer-facing resolver. Rules and formats: docs/serials.md.
-- Idempotent: graphile-migrate re-runs the current migration while it is developed.

create table if not exists data.serials (
  brand_id       uuid not null references data.brands (id) on delete cascade,
  batch_id       uuid not null,
  -- position in the batch, 1, 2, 3, … in creation order; a minted serial's number is its seq
  seq            bigint not null check (seq between 1 and 999999999999999999),
  -- GS1 AI 21: 1-20 characters of the GS1 AI encodable character set 82
  serial_number  text collate "C" not null check (serial_number ~ '^[!"%&''()*+,./0-9:;<=>?A-Z_a-z-]{1,20}$'),
  -- public code: 96 random bits from gen_random_uuid() (a CSPRNG), base64url, 16 characters
  code           text collate "C" not null check (code ~ '^[A-Za-z0-9_-]{16}$'),
  status         text not null default 'active' check (status in ('active', 'void')),
  source         text not null default 'minted' check (source in ('minted', 'imported')),
  void_reason    text check (length(void_reason) between 1 and 500),
  voided_at      timestamptz,
  voided_by      text,
  created_by     text,
  created_at     timestamptz not null default now(),
  updated_at     timestamptz not null default now(),
  primary key (brand_id, batch_id, seq),
  constraint serials__brand_id_batch_id_serial_number_key unique (brand_id, batch_id, serial_number),
  -- the one key not led by brand_id: a consumer scans a code without knowing the brand, and a code must
  -- identify exactly one serial across all brands (on Citus this becomes a reference lookup table)
  constraint serials__code_key unique (code),
  -- no cascade: a batch with serials must not vanish (delete_product_batch answers 409: archive it)
  foreign key (brand_id, batch_id) references data.batches (brand_id, id),
  check ((status = 'void') = (voided_at is not null)),
  check ((status = 'void') = (void_reason is not null))
);
comment on table data.serials is
  'Serial numbers of a batch (GS1 AI 21) with their public, unguessable code. Written only through api.mint_serials, api.import_serials and api.void_serial.';
comment on column data.serials.code is
  'Public code for resolve_serial: 96 random bits (gen_random_uuid, CSPRNG), base64url, unique across all brands.';

-- The primary key (brand_id, batch_id, seq) serves the foreign keys, keyset listing and the next seq.
-- Imported serials that look like plain numbers: the next mint starts above the largest, so a minted
-- number never collides with an imported one (app.serials_next_seq reads it with one index probe).
create index if not exists serials__brand_id_batch_id_imported_number_idx
  on data.serials (brand_id, batch_id, (serial_number::bigint))
  where source = 'imported' and serial_number ~ '^[1-9][0-9]{0,17}$';
