-- The audit trail of a brand for its admins: who changed which row, newest first, with filters and a cursor.
create function api.list_audit_events(
  _brand_id   uuid,
  _table      text        default null,
  _row_id     text        default null,
  _user_id    text        default null,
  _from       timestamptz default null,
  _to         timestamptz default null,
  _before_id  bigint      default null,
  _limit      integer     default 100
)
returns setof api.audit_event
language plpgsql stable security invoker set search_path = ''
as $$
begin
  perform app.require_role(_brand_id, 'admin', 'audit:read');
  if _limit is null or _limit < 1 or _limit > 500 then
    perform app.invalid('_limit', 'range', '_limit must be between 1 and 500');
  end if;
  if _from is not null and _to is not null and _to < _from then
    perform app.invalid('_to', 'range', '_to must not be before _from');
  end if;
  return query
    select a.id, a.at, a.table_name, a.action, a.row_id, a.changed, a.old_values, a.new_values,
           a.actor, a.db_role, a.request_id, a.door, a.xid::text
      from data.audit_events a
     where a.brand_id = _brand_id
       and (_table is null or a.table_name = _table)
       and (_row_id is null or a.row_id = _row_id)
       and (_user_id is null or a.actor = _user_id)
       and (_from is null or a.at >= _from)
       and (_to is null or a.at < _to)
       and (_before_id is null or a.id < _before_id)
     order by a.id desc
     limit _limit;
end
$$;
comment on function api.list_audit_events(uuid, text, text, text, timestamptz, timestamptz, bigint, integer) is
  $$The audit trail, newest first: every insert, update and delete of the brand's rows in any table, with the changed columns' old and new values, who (actor = the JWT sub), the database role, the door (http or sql), the gateway's request id and the transaction id. Filters: _table (e.g. batches), _row_id (the row's key), _user_id, _from/_to (time). Page with _before_id = the last id seen; _limit 1–500 (default 100). Admin role, scope audit:read. Errors: 400, 401, 403.$$;
grant execute on function api.list_audit_events(uuid, text, text, text, timestamptz, timestamptz, bigint, integer) to authenticated;
