-- The brand's recalls, newest first; optionally only active or lifted ones, or those covering one batch.
create function api.list_recalls(
  _brand_id  uuid,
  _status    text    default null,
  _batch_id  uuid    default null,
  _limit     integer default 50,
  _offset    integer default 0
)
returns setof api.recall
language plpgsql stable security invoker set search_path = ''
as $$
begin
  perform app.require_role(_brand_id, 'viewer', 'trace:read');
  if _status is not null and _status not in ('active', 'lifted') then
    perform app.invalid('_status', 'enum', '_status must be active or lifted');
  end if;
  if _limit is null or _limit < 1 or _limit > 100 then
    perform app.invalid('_limit', 'range', '_limit must be between 1 and 100');
  end if;
  if _offset is null or _offset < 0 then
    perform app.invalid('_offset', 'min', '_offset must be >= 0');
  end if;
  return query
    select x.* from data.recalls r cross join lateral app.recall_out(r) x
     where r.brand_id = _brand_id and (_status is null or r.status = _status)
       and (_batch_id is null or exists (select from data.recall_batches rb
                                          where rb.brand_id = r.brand_id and rb.recall_id = r.id and rb.batch_id = _batch_id))
     order by r.created_at desc, r.number desc
     limit _limit offset _offset;
end
$$;
comment on function api.list_recalls(uuid, text, uuid, integer, integer) is
  $$The brand's recalls, newest first: number, root batch, reason, status (active | lifted), who and when, how many batches each covers and changed. Filters: _status, _batch_id (recalls covering that batch, as root or downstream). _limit 1–100 (default 50), _offset. Viewer role, scope trace:read. Errors: 400, 401, 403.$$;
grant execute on function api.list_recalls(uuid, text, uuid, integer, integer) to authenticated;
