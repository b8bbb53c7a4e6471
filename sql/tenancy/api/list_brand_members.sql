create function api.list_brand_members(_brand_id uuid)
returns setof api.brand_member
language plpgsql stable security invoker set search_path = ''
as $$
begin
  perform app.require_role(_brand_id, 'viewer', 'members:read');
  return query
    select m.brand_id, m.user_id, m.role, m.created_at
      from data.brand_members m
     where m.brand_id = _brand_id
     order by m.created_at, m.user_id;
end
$$;
comment on function api.list_brand_members(uuid) is
  $$Members of a brand with their roles. Errors: 401, 403.$$;
grant execute on function api.list_brand_members(uuid) to authenticated;
