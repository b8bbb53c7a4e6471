-- A brand's due-diligence statements, newest first, filtered by status or batch (docs/sync.md).
create function api.list_due_diligence_statements(
  _brand_id  uuid,
  _status    text    default null,
  _batch_id  uuid    default null,
  _limit     integer default 50,
  _offset    integer default 0
)
returns setof api.due_diligence_statement
language plpgsql stable security invoker set search_path = ''
as $$
declare v_status text := app.status_arg(_status);
begin
  perform app.require_role(_brand_id, 'viewer', 'dds:read');
  if v_status is not null and not (v_status = any (app.dds_statuses())) then
    perform app.invalid('_status', 'enum', format('_status must be one of %s', array_to_string(app.dds_statuses(), ', ')));
  end if;
  if _limit is null or _limit < 1 or _limit > 100 then
    perform app.invalid('_limit', 'range', '_limit must be between 1 and 100');
  end if;
  if _offset is null or _offset < 0 then
    perform app.invalid('_offset', 'min', '_offset must be >= 0');
  end if;
  return query
    select o.* from data.due_diligence_statements d cross join lateral app.dds_out(d) o
     where d.brand_id = _brand_id
       and (v_status is null or d.status = v_status)
       and (_batch_id is null or d.batch_id = _batch_id)
     order by d.created_at desc, d.id desc
     limit _limit offset _offset;
end
$$;
comment on function api.list_due_diligence_statements(uuid, text, uuid, integer, integer) is
  $$Due-diligence statements of a brand, newest first. Filters: _status (draft, submitted, accepted, rejected), _batch_id. _limit 1–100 (default 50), _offset >= 0. Viewer role, scope dds:read. Errors: 400, 401, 403.$$;
grant execute on function api.list_due_diligence_statements(uuid, text, uuid, integer, integer) to authenticated;
