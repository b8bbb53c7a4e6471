create function api.list_synced_batches(
  _brand_id  uuid,
  _page      integer     default 1,
  _limit     integer     default 50,
  _since     timestamptz default null
)
returns api.synced_batch_page
language plpgsql stable security invoker set search_path = ''
as $$
declare
  v_total   bigint;
  v_records api.synced_batch[];
  v_since   timestamptz := coalesce(_since, '-infinity');
begin
  perform app.require_role(_brand_id, 'viewer', 'integration:batches:read');
  perform app.sync_check_paging(_page, _limit);
  select count(*) into v_total
    from data.batches b
   where b.brand_id = _brand_id and b.updated_at >= v_since and b.external_id is not null;
  select coalesce(array_agg(row(b.external_id, b.id, p.external_id, b.batch_number, b.quantity, b.unit, b.received_date,
                                b.expiry_date, b.status, b.created_at, b.updated_at, b.version)::api.synced_batch
                            order by b.updated_at, b.id), '{}')
    into v_records
    from (select * from data.batches b
           where b.brand_id = _brand_id and b.updated_at >= v_since and b.external_id is not null
           order by b.updated_at, b.id
           limit _limit offset (_page - 1) * _limit) b
    join data.products p on p.brand_id = b.brand_id and p.id = b.product_id;
  return row(_page, _limit, v_total, v_records)::api.synced_batch_page;
end
$$;
comment on function api.list_synced_batches(uuid, integer, integer, timestamptz) is
  $$Batches pushed by external ID (the integration push API, GET /integration/batches): page (1-based, default 1), limit (1-100, default 50; 101 is a 400, not capped), since (only rows whose last change, updatedAt, is >= since). Ordered by updatedAt then internalId, oldest change first, so a client can follow changes with since = the last updatedAt it saw. Returns {page, limit, total, records}. Only batches with an externalId are listed. Requires viewer and, for scoped tokens, integration:batches:read. By POST or GET (_limit and _page are arguments in a query string too; only a bare "limit" is the result paging). Errors: 400 (_page, _limit), 401, 403.$$;
grant execute on function api.list_synced_batches(uuid, integer, integer, timestamptz) to authenticated;
