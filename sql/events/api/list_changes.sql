-- The brand's change feed: domain events in a stable order, resumable from a cursor, never skipping one.
create function api.list_changes(_brand_id uuid, _after text default null, _limit integer default 100)
returns setof api.change
language plpgsql stable security invoker set search_path = ''
as $$
declare v_from record;
begin
  perform app.require_role(_brand_id, 'viewer', 'events:read');
  if _limit is null or _limit < 1 or _limit > 1000 then
    perform app.invalid('_limit', 'range', '_limit must be between 1 and 1000');
  end if;
  v_from := app.feed_cursor(_after);
  -- one statement, one snapshot: only transactions below its xmin (all finished) are served, in (xid, seq)
  -- order, so a transaction that started earlier and commits later can never fall behind the cursor
  return query
    select e.xid::text || ':' || e.seq, e.id, e.type, e.subject, e.occurred_at, e.data, e.actor, e.request_id
      from data.events e
     where e.brand_id = _brand_id
       and (e.xid, e.seq) > (v_from.xid, v_from.seq)
       and e.xid < pg_snapshot_xmin(pg_current_snapshot())
     order by e.xid, e.seq
     limit _limit;
end
$$;
comment on function api.list_changes(uuid, text, integer) is
  $$The brand's change feed (batch.created, batch.updated, batch.status_changed, recall.issued, stock.moved, transfer.*, serials.minted, …), oldest first. Pass the last row's cursor as _after to continue; a consumer polling this way never misses an event, even one of a transaction that commits late (events appear once every older transaction has finished). _limit 1–1000 (default 100). Viewer role, scope events:read. Errors: 400, 401, 403.$$;
grant execute on function api.list_changes(uuid, text, integer) to authenticated;
