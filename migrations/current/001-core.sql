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
