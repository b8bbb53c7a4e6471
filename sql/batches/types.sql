create type api.product as (
  id            uuid,
  brand_id      uuid,
  external_id   text,
  supplier_id   uuid,
  name          text,
  gtin          text,
  sku           text,
  ean           text,
  article_code  text,
  unit          text,
  expirable     boolean,
  serialized    boolean,
  attributes    jsonb,
  created_at    timestamptz,
  updated_at    timestamptz,
  version       integer,
  archived_at   timestamptz
);

create or replace function app.product_out(_p data.products)
returns api.product
language sql stable security invoker set search_path = ''
as $$
  select row(_p.id, _p.brand_id, _p.external_id, _p.supplier_id, _p.name, _p.gtin, _p.sku, _p.ean, _p.article_code,
             _p.unit, _p.expirable, _p.serialized, _p.attributes, _p.created_at, _p.updated_at, _p.version,
             _p.archived_at)::api.product
$$;
grant execute on function app.product_out(data.products) to authenticated;

-- The batch as every batch RPC returns it: seed C's fields plus the union of the other seeds' core fields.
create type api.batch as (
  id               uuid,
  brand_id         uuid,
  product_id       uuid,
  batch_number     text,
  external_id      text,
  status           text,
  production_date  date,
  received_date    date,
  expiry_date      date,
  quantity         numeric,
  unit             text,
  facility_ref     text,
  attributes       jsonb,
  recall_message   text,
  public_id        text,
  created_at       timestamptz,
  updated_at       timestamptz,
  version          integer,
  archived_at      timestamptz
);

-- One page of search_batches: the rows, a keyset cursor for the next page, and the total when asked.
create type api.batch_page as (
  items        api.batch[],
  next_cursor  text,
  total        bigint,
  "limit"      integer
);

-- data.batches row → api.batch (kept beside the type: dropped and rebuilt with api; app is not exposed).
create or replace function app.batch_out(_b data.batches)
returns api.batch
language sql stable security invoker set search_path = ''
as $$
  select row(_b.id, _b.brand_id, _b.product_id, _b.batch_number, _b.external_id, _b.status, _b.production_date,
             _b.received_date, _b.expiry_date, _b.quantity, _b.unit, _b.facility_ref, _b.attributes,
             _b.recall_message, _b.public_id, _b.created_at, _b.updated_at, _b.version, _b.archived_at)::api.batch
$$;
grant execute on function app.batch_out(data.batches) to authenticated;
