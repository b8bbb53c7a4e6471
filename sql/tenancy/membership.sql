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
