-- Brands and their members: creating a brand with its owner, who may grant which role.

-- Creating a brand: the creator is not a member yet, so no policy could let them insert the brand and
-- its first (owner) membership. This definer does exactly that and nothing else, for the calling user.
create or replace function app.create_brand_with_owner(_name text, _slug text)
returns uuid
language plpgsql volatile security definer set search_path = ''
as $$
declare v_sub text := app.require_user(); v_id uuid;
begin
  insert into data.brands (name, slug, created_by) values (_name, _slug, v_sub) returning id into v_id;
  insert into data.brand_members (brand_id, user_id, role) values (v_id, v_sub, 'owner');
  return v_id;
end
$$;
alter function app.create_brand_with_owner(text, text) owner to lotline_auth;
comment on function app.create_brand_with_owner(text, text) is
  'Definer: the creator of a brand cannot pass RLS before being its member; inserts the brand and the caller as owner only.';

-- May the caller grant _role on _brand_id? Admins grant up to admin; only owners grant owner.
create or replace function app.can_grant(_brand_id uuid, _role text)
returns boolean
language sql stable security invoker set search_path = ''
as $$
  select app.role_rank(app.member_role(_brand_id)) >= greatest(3, app.role_rank(_role))
$$;
grant execute on function app.create_brand_with_owner(text, text), app.can_grant(uuid, text) to authenticated;
revoke execute on function app.create_brand_with_owner(text, text) from public;

-- Membership changes of one brand serialise on the brand row.
-- Lock order: the brand row first (a write lock: a no-op UPDATE, so that at REPEATABLE READ or
-- SERIALIZABLE a second, concurrent change fails with 40001 instead of deciding on a stale member list),
-- then member rows. The api functions take it before reading members; a direct INSERT/UPDATE/DELETE takes
-- it in the trigger below, after the executor has locked the member row it changes. That is the only
-- other order: a direct write racing an api call on the same member row can deadlock, and Postgres then
-- aborts one of them (40P01); neither commits a wrong member list.
-- Internal (no grant): false when the brand row is gone (the brand is being deleted, cascading).
create or replace function app.brand_write_lock(_brand_id uuid)
returns boolean
language plpgsql volatile security definer set search_path = ''
as $$
begin
  update data.brands b set updated_at = b.updated_at where b.id = _brand_id;
  return found;
end
$$;
alter function app.brand_write_lock(uuid) owner to lotline_auth;
comment on function app.brand_write_lock(uuid) is
  'Definer (lotline_auth): callers have no write grant on the brands table; takes the brand row lock that serialises membership changes. Internal.';

-- For api functions that change members: the caller's role and scope, the brand lock, then the role and
-- scope again (a concurrent change may have removed or demoted the caller while it waited). Returns the role.
create or replace function app.lock_brand_members(_brand_id uuid, _min_role text, _scope text)
returns text
language plpgsql volatile security definer set search_path = ''
as $$
begin
  perform app.require_role(_brand_id, _min_role, _scope);
  perform app.brand_write_lock(_brand_id);
  return app.require_role(_brand_id, _min_role, _scope);
end
$$;
alter function app.lock_brand_members(uuid, text, text) owner to lotline_auth;
comment on function app.lock_brand_members(uuid, text, text) is
  'Definer (lotline_auth): checks the caller''s role first, then locks the brand row (callers cannot), then checks the role again.';

-- Trigger on data.brand_members, for every write whoever makes it (api function or direct DML): takes the
-- brand lock (above), and refuses to delete or demote the brand's last owner (409, as remove_brand_member).
-- Definer: it must see and lock rows the caller's RLS may hide.
create or replace function app.tg__brand_members_keep_an_owner()
returns trigger
language plpgsql volatile security definer set search_path = ''
as $$
declare v_row data.brand_members := case when tg_op = 'DELETE' then old else new end;
begin
  if not app.brand_write_lock(v_row.brand_id) then
    return v_row;   -- the brand itself is being deleted
  end if;
  if tg_op <> 'INSERT' and old.role = 'owner' and (tg_op = 'DELETE' or new.role <> 'owner')
     and not exists (select from data.brand_members m
                      where m.brand_id = old.brand_id and m.role = 'owner' and m.user_id <> old.user_id) then
    perform app.raise('PT409', format('Cannot remove the last owner of brand %s', old.brand_id),
                      jsonb_build_object('field', '_user_id', 'rule', 'last_owner'));
  end if;
  return v_row;
end
$$;
alter function app.tg__brand_members_keep_an_owner() owner to lotline_auth;
comment on function app.tg__brand_members_keep_an_owner() is
  'Definer (lotline_auth): a brand keeps at least one owner whoever writes brand_members; serialises membership changes per brand.';

revoke execute on function app.brand_write_lock(uuid), app.lock_brand_members(uuid, text, text),
  app.tg__brand_members_keep_an_owner() from public;
grant execute on function app.lock_brand_members(uuid, text, text) to authenticated;
