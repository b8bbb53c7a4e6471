create function api.remove_brand_member(_brand_id uuid, _user_id text)
returns api.brand_member
language plpgsql volatile security invoker set search_path = ''
as $$
declare v_row data.brand_members;
begin
  perform app.require_role(_brand_id, 'admin', 'members:write');
  select * into v_row from data.brand_members m where m.brand_id = _brand_id and m.user_id = _user_id;
  if not found then
    perform app.raise('PT404', format('Member %s not found on brand %s', _user_id, _brand_id),
                      jsonb_build_object('field', '_user_id', 'rule', 'exists'));
  end if;
  if not app.can_grant(_brand_id, v_row.role) then
    perform app.raise('42501', format('Forbidden: owner role required on brand %s to remove an owner', _brand_id),
                      jsonb_build_object('field', '_user_id', 'rule', 'role', 'required_role', 'owner'));
  end if;
  -- lock the brand's owner rows so two removals cannot both leave it ownerless
  perform 1 from data.brand_members m where m.brand_id = _brand_id and m.role = 'owner' for update;
  if v_row.role = 'owner' and (select count(*) from data.brand_members m where m.brand_id = _brand_id and m.role = 'owner') = 1 then
    perform app.raise('PT409', format('Cannot remove the last owner of brand %s', _brand_id),
                      jsonb_build_object('field', '_user_id', 'rule', 'last_owner'));
  end if;
  delete from data.brand_members m where m.brand_id = _brand_id and m.user_id = _user_id;
  return row(v_row.brand_id, v_row.user_id, v_row.role, v_row.created_at)::api.brand_member;
end
$$;
comment on function api.remove_brand_member(uuid, text) is
  $$Remove a member from a brand. Admins remove up to admins; only owners remove owners; the last owner stays. Errors: 401, 403, 404, 409.$$;
grant execute on function api.remove_brand_member(uuid, text) to authenticated;
