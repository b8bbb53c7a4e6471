create function api.list_synced_suppliers(
  _brand_id  uuid,
  _page      integer     default 1,
  _limit     integer     default 50,
  _since     timestamptz default null
)
returns api.synced_supplier_page
language plpgsql stable security invoker set search_path = ''
as $$
declare
  v_total   bigint;
  v_records api.synced_supplier[];
  v_since   timestamptz := coalesce(_since, '-infinity');
begin
  perform app.require_role(_brand_id, 'viewer', 'integration:suppliers:read');
  perform app.sync_check_paging(_page, _limit);
  select count(*) into v_total
    from data.suppliers s
   where s.brand_id = _brand_id and s.updated_at >= v_since and s.external_id is not null;
  select coalesce(array_agg(row(s.external_id, s.id, s.name, s.country, s.address, s.email, s.attributes,
                                s.created_at, s.updated_at, s.version)::api.synced_supplier
                            order by s.updated_at, s.id), '{}')
    into v_records
    from (select * from data.suppliers s
           where s.brand_id = _brand_id and s.updated_at >= v_since and s.external_id is not null
           order by s.updated_at, s.id
           limit _limit offset (_page - 1) * _limit) s;
  return row(_page, _limit, v_total, v_records)::api.synced_supplier_page;
end
$$;
comment on function api.list_synced_suppliers(uuid, integer, integer, timestamptz) is
  $$Suppliers pushed by external ID (the integration push API, GET /integration/suppliers): page (1-based, default 1), limit (1-100, default 50; 101 is a 400, not capped), since (only rows whose last change, updatedAt, is >= since). Ordered by updatedAt then internalId. Returns {page, limit, total, records}. Only suppliers with an externalId are listed. Requires viewer and, for scoped tokens, integration:suppliers:read. Errors: 400 (_page, _limit), 401, 403.$$;
grant execute on function api.list_synced_suppliers(uuid, integer, integer, timestamptz) to authenticated;
