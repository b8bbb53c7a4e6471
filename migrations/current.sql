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
