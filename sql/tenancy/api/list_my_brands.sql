create function api.list_my_brands()
returns setof api.brand
language plpgsql stable security invoker set search_path = ''
as $$
begin
  perform app.require_user();
  perform app.require_scope('brands:read');
  return query
    select b.id, b.name, b.slug, m.role, b.created_at
      from data.brands b
      join data.brand_members m on m.brand_id = b.id and m.user_id = app.current_user_id()
     order by b.created_at, b.id;
end
$$;
comment on function api.list_my_brands() is
  $$Brands the caller is a member of, with the caller's role, oldest first. Errors: 401.$$;
grant execute on function api.list_my_brands() to authenticated;
