-- Integration sync (seed B). Field names are the seed's camelCase: integrators get back the names they push.

-- What every upsert_* returns, exactly the seed's shape:
--   {success, created, updated, errors, records, ddsCreated}
--   records:    [{externalId, internalId, status}]   status CREATED | UPDATED | UNCHANGED | ERROR, input order
--   errors:     [{externalId, error}]                 one entry per failed record, input order
--   ddsCreated: [{ddsId, batchId, externalId, status}] (upsert_batches with _auto_create_dds; else [])
-- success is true only when no record failed; the records that passed are written either way.
create type api.sync_result as (
  success       boolean,
  created       integer,
  updated       integer,
  errors        jsonb,
  records       jsonb,
  "ddsCreated"  jsonb
);
comment on type api.sync_result is
  'Result of upsert_suppliers/upsert_products/upsert_batches (seed B shape). success = no record failed; valid records are written even when others fail. See docs/sync.md.';

create type api.synced_supplier as (
  "externalId"  text,
  "internalId"  uuid,
  name          text,
  country       text,
  address       text,
  email         text,
  attributes    jsonb,
  "createdAt"   timestamptz,
  "updatedAt"   timestamptz,
  version       integer
);

create type api.synced_product as (
  "externalId"          text,
  "internalId"          uuid,
  name                  text,
  "supplierExternalId"  text,
  gtin                  text,
  sku                   text,
  ean                   text,
  "articleCode"         text,
  unit                  text,
  expirable             boolean,
  serialized            boolean,
  attributes            jsonb,
  "createdAt"           timestamptz,
  "updatedAt"           timestamptz,
  version               integer
);

create type api.synced_batch as (
  "externalId"         text,
  "internalId"         uuid,
  "productExternalId"  text,
  "batchNumber"        text,
  quantity             numeric,
  unit                 text,
  "receivedDate"       date,
  "expiryDate"         date,
  status               text,      -- the batch's lifecycle status (active, received, …)
  "createdAt"          timestamptz,
  "updatedAt"          timestamptz,
  version              integer
);

-- One page of a list_synced_* call: page (1-based), limit, total matching rows, the records.
create type api.synced_supplier_page as (page integer, "limit" integer, total bigint, records api.synced_supplier[]);
create type api.synced_product_page  as (page integer, "limit" integer, total bigint, records api.synced_product[]);
create type api.synced_batch_page    as (page integer, "limit" integer, total bigint, records api.synced_batch[]);
