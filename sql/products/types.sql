-- The product as every product RPC returns it, and its row → type helper.
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
