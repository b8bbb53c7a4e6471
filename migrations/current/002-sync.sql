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
