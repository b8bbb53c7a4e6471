-- Authorization: membership and roles per brand, scopes per token.
-- Membership lookups are SECURITY DEFINER, owned by lotline_auth (BYPASSRLS): with forced RLS on
-- data.brand_members a helper owned by the table owner would be filtered by its own policy.

-- Brands where the caller has at least _min_role. Policies call it wrapped in a scalar subquery,
-- (select app.current_brand_ids('editor')), so Postgres evaluates it once per statement (InitPlan).
create or replace function app.current_brand_ids(_min_role text default 'viewer')
returns uuid[]
language sql stable security definer set search_path = ''
as $$
  -- flattened (claims read and role ranks inline): evaluated once per statement, but on every statement
  select coalesce(array_agg(m.brand_id), '{}')
    from data.brand_members m
   where m.user_id = nullif(nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub', '')
     and case m.role when 'viewer' then 1 when 'editor' then 2 when 'admin' then 3 when 'owner' then 4 else 0 end
      >= case _min_role when 'viewer' then 1 when 'editor' then 2 when 'admin' then 3 when 'owner' then 4 else 5 end
$$;
alter function app.current_brand_ids(text) owner to lotline_auth;
comment on function app.current_brand_ids(text) is
  'Definer (owned by lotline_auth, BYPASSRLS) because brand_members is itself under forced RLS; reads only the caller''s own rows.';

-- The caller's role on one brand, or null.
create or replace function app.member_role(_brand_id uuid)
returns text
language sql stable security definer set search_path = ''
as $$
  select m.role from data.brand_members m
   where m.brand_id = _brand_id and m.user_id = app.current_user_id()
$$;
alter function app.member_role(uuid) owner to lotline_auth;
comment on function app.member_role(uuid) is
  'Definer for the same reason as current_brand_ids; answers only for the calling user.';

create or replace function app.role_rank(_role text)
returns integer
language sql immutable security invoker set search_path = ''
as $$ select case _role when 'viewer' then 1 when 'editor' then 2 when 'admin' then 3 when 'owner' then 4 else 0 end $$;

-- A caller must be authenticated (a sub in the claims): PT401 otherwise.
create or replace function app.require_user()
returns text
language plpgsql stable security invoker set search_path = ''
as $$
declare v_sub text := app.current_user_id();
begin
  if v_sub is null then
    perform app.raise('PT401', 'Not authenticated', null, 'Send a valid JWT in the Authorization header');
  end if;
  return v_sub;
end
$$;

-- A token that carries a scope claim must hold _scope (42501 naming it); without a scope claim: no-op.
create or replace function app.require_scope(_scope text)
returns void
language plpgsql stable security invoker set search_path = ''
as $$
declare v_scopes text[] := app.current_scopes();
begin
  if _scope is not null and v_scopes is not null and not (_scope = any (v_scopes)) then
    perform app.raise('42501', format('Forbidden: token lacks scope %s', _scope),
                      jsonb_build_object('scope', _scope, 'rule', 'scope'));
  end if;
end
$$;

-- Check first in every api function: authenticated, scope held, member of the brand with at least _min_role.
-- Returns the caller's role. Non-members get 403 (the same answer whether or not the brand exists).
create or replace function app.require_role(_brand_id uuid, _min_role text, _scope text default null)
returns text
language plpgsql stable security invoker set search_path = ''
as $$
declare v_role text;
begin
  perform app.require_user();
  perform app.require_scope(_scope);
  if _brand_id is null then
    perform app.invalid('_brand_id', 'required', '_brand_id is required');
  end if;
  v_role := app.member_role(_brand_id);
  if app.role_rank(v_role) < app.role_rank(_min_role) then
    perform app.raise('42501', format('Forbidden: %s role required on brand %s', _min_role, _brand_id),
                      jsonb_build_object('brand_id', _brand_id, 'required_role', _min_role, 'rule', 'role'));
  end if;
  return v_role;
end
$$;

grant usage on schema app, data to lotline_auth;
-- the definers (owned by lotline_auth) check their caller with these
grant execute on function app.role_rank(text), app.require_user(), app.require_scope(text), app.require_role(uuid, text, text)
  to lotline_auth;
grant execute on function app.current_brand_ids(text), app.member_role(uuid), app.role_rank(text),
  app.require_user(), app.require_scope(text), app.require_role(uuid, text, text) to authenticated;
revoke execute on function app.current_brand_ids(text), app.member_role(uuid) from public;
