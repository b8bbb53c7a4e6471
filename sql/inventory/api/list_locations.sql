create function api.list_locations(_brand_id uuid, _include_archived boolean default false)
returns setof api.location
language plpgsql stable security invoker set search_path = ''
as $$
begin
  perform app.require_role(_brand_id, 'viewer', 'inventory:read');
  return query
    select o.* from data.locations l cross join lateral app.location_out(l) o
     where l.brand_id = _brand_id and (coalesce(_include_archived, false) or l.archived_at is null)
     order by l.name, l.id;
end
$$;
comment on function api.list_locations(uuid, boolean) is
  $$The brand's locations by name; archived ones only with _include_archived. Viewer role, scope inventory:read. Errors: 401, 403.$$;
grant execute on function api.list_locations(uuid, boolean) to authenticated;
