create function api.add_brand_member(_brand_id uuid, _user_id text, _role text default 'viewer')
returns api.brand_member
language plpgsql volatile security invoker set search_path = ''
as $$
declare v_row data.brand_members;
begin
  perform app.require_role(_brand_id, 'admin', 'members:write');
  perform app.check_text(_user_id, '_user_id', 200);
  if _role is null or app.role_rank(_role) = 0 then
    perform app.invalid('_role', 'enum', '_role must be one of viewer, editor, admin, owner');
  end if;
  if not app.can_grant(_brand_id, _role) then
    perform app.raise('42501', format('Forbidden: owner role required on brand %s to grant %s', _brand_id, _role),
                      jsonb_build_object('field', '_role', 'rule', 'role', 'required_role', 'owner'));
  end if;
  begin
    insert into data.brand_members (brand_id, user_id, role) values (_brand_id, btrim(_user_id), _role)
    returning * into v_row;
  exception when unique_violation then
    perform app.raise('23505', format('User %s is already a member of brand %s', btrim(_user_id), _brand_id),
                      jsonb_build_object('field', '_user_id', 'rule', 'unique', 'value', btrim(_user_id)));
  end;
  return row(v_row.brand_id, v_row.user_id, v_row.role, v_row.created_at)::api.brand_member;
end
$$;
comment on function api.add_brand_member(uuid, text, text) is
  $$Add a member to a brand with a role (viewer, editor, admin, owner). Admins grant up to admin; only owners grant owner. Errors: 400, 401, 403, 409.$$;
grant execute on function api.add_brand_member(uuid, text, text) to authenticated;
