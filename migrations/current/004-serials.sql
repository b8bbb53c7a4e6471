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
