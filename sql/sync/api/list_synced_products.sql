create function api.list_synced_products(
  _brand_id  uuid,
  _page      integer     default 1,
  _limit     integer     default 50,
  _since     timestamptz default null
)
returns api.synced_product_page
language plpgsql stable security invoker set search_path = ''
as $$
declare
  v_total   bigint;
  v_records api.synced_product[];
  v_since   timestamptz := coalesce(_since, '-infinity');
begin
  perform app.require_role(_brand_id, 'viewer', 'integration:products:read');
  perform app.sync_check_paging(_page, _limit);
  select count(*) into v_total
    from data.products p
   where p.brand_id = _brand_id and p.updated_at >= v_since and p.external_id is not null;
  select coalesce(array_agg(row(p.external_id, p.id, p.name, s.external_id, p.gtin, p.sku, p.ean, p.article_code, p.unit,
                                p.expirable, p.serialized, p.attributes, p.created_at, p.updated_at, p.version)::api.synced_product
                            order by p.updated_at, p.id), '{}')
    into v_records
    from (select * from data.products p
           where p.brand_id = _brand_id and p.updated_at >= v_since and p.external_id is not null
           order by p.updated_at, p.id
           limit _limit offset (_page - 1) * _limit) p
    left join data.suppliers s on s.brand_id = p.brand_id and s.id = p.supplier_id;
  return row(_page, _limit, v_total, v_records)::api.synced_product_page;
end
$$;
comment on function api.list_synced_products(uuid, integer, integer, timestamptz) is
  $$Products pushed by external ID (the integration push API, GET /integration/products): page (1-based, default 1), limit (1-100, default 50; 101 is a 400, not capped), since (only rows whose last change, updatedAt, is >= since). Ordered by updatedAt then internalId. Returns {page, limit, total, records}. Only products with an externalId are listed. Requires viewer and, for scoped tokens, integration:products:read. Errors: 400 (_page, _limit), 401, 403.$$;
grant execute on function api.list_synced_products(uuid, integer, integer, timestamptz) to authenticated;
