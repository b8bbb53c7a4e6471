-- Integration sync (the integration push API). Field names are the push API's camelCase: integrators get back the names they push.

-- What every upsert_* returns, exactly the push API's shape:
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
  'Result of upsert_suppliers/upsert_products/upsert_batches (the integration push API''s shape). success = no record failed; valid records are written even when others fail. See docs/sync.md.';

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

-- The push API's response for one upsert call, records in input order. One definition for the three upserts.
-- _in: the call's classified records [{ord, ext, id, error, change}]; _exts/_ids/_new: what the write returned
-- (external id, row id, inserted?); _dds_batch/_dds_ids: drafted statements (upsert_batches only).
-- A changed record the write did not return lost a race with another writer: ERROR, push it again.
create or replace function app.sync_result_of(_entity text, _in jsonb, _exts text[], _ids uuid[], _new boolean[],
                                              _dds_batch uuid[] default null, _dds_ids uuid[] default null)
returns api.sync_result
language sql stable security invoker set search_path = ''
as $$
  select row(
           count(*) filter (where r.status = 'ERROR') = 0,
           (count(*) filter (where r.status = 'CREATED'))::integer,
           (count(*) filter (where r.status = 'UPDATED'))::integer,
           coalesce(jsonb_agg(jsonb_build_object('externalId', r.ext, 'error', r.error) order by r.ord)
                      filter (where r.status = 'ERROR'), '[]'),
           coalesce(jsonb_agg(jsonb_build_object('externalId', r.ext, 'internalId', r.internal_id, 'status', r.status) order by r.ord), '[]'),
           coalesce(jsonb_agg(jsonb_build_object('ddsId', r.dds_id, 'batchId', r.internal_id, 'externalId', r.ext, 'status', 'draft') order by r.ord)
                      filter (where r.dds_id is not null), '[]')
         )::api.sync_result
    from (
      select x.ord, x.ext,
             case when x.error is not null then 'ERROR'
                  when not x.change then 'UNCHANGED'
                  when w.id is null then 'ERROR'
                  when w.created then 'CREATED'
                  else 'UPDATED' end as status,
             coalesce(x.error, case when x.change and w.id is null
               then format('%s with externalId "%s" was changed by another request during this push; push it again', _entity, x.ext) end) as error,
             coalesce(w.id, x.id) as internal_id,
             d.dds_id
        from jsonb_to_recordset(_in) as x(ord integer, ext text, id uuid, error text, change boolean)
        left join unnest(_exts, _ids, _new) as w(ext, id, created) on w.ext = x.ext and x.error is null
        left join unnest(coalesce(_dds_batch, '{}'), coalesce(_dds_ids, '{}')) as d(batch_id, dds_id) on d.batch_id = w.id
    ) r
$$;
grant execute on function app.sync_result_of(text, jsonb, text[], uuid[], boolean[], uuid[], uuid[]) to authenticated;

-- A due-diligence statement as its RPCs return it (snake_case: these are lotline's own RPCs, not the push API).
create type api.due_diligence_statement as (
  id                     uuid,
  brand_id               uuid,
  batch_id               uuid,
  status                 text,
  reference_number       text,
  verification_number    text,
  source                 text,
  activity_type          text,
  hs_code                text,
  description            text,
  net_mass_kg            numeric,
  country_of_production  text,
  geolocation            jsonb,
  submitted_at           timestamptz,
  submitted_by           text,
  decided_at             timestamptz,
  decided_by             text,
  decision_reason        text,
  created_by             text,
  created_at             timestamptz,
  updated_at             timestamptz,
  version                integer
);

create or replace function app.dds_out(_d data.due_diligence_statements)
returns api.due_diligence_statement
language sql stable security invoker set search_path = ''
as $$
  select row(_d.id, _d.brand_id, _d.batch_id, _d.status, _d.reference_number, _d.verification_number, _d.source,
             _d.activity_type, _d.hs_code, _d.description, _d.net_mass_kg, _d.country_of_production, _d.geolocation,
             _d.submitted_at, _d.submitted_by, _d.decided_at, _d.decided_by, _d.decision_reason, _d.created_by,
             _d.created_at, _d.updated_at, _d.version)::api.due_diligence_statement
$$;
grant execute on function app.dds_out(data.due_diligence_statements) to authenticated;
