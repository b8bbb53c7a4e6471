-- Who is calling: read from request.jwt.claims (set by the gateway, or by app.act_as in psql).
create or replace function app.current_claims()
returns jsonb
language sql stable security invoker set search_path = ''
as $$ select coalesce(nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::jsonb, '{}'::jsonb) $$;

create or replace function app.current_user_id()
returns text
language sql stable security invoker set search_path = ''
as $$ select nullif(app.current_claims() ->> 'sub', '') $$;

-- Scopes of the token, or null when the token has no scope claim (then only the role governs).
create or replace function app.current_scopes()
returns text[]
language sql stable security invoker set search_path = ''
as $$
  select case
    when app.current_claims() ? 'scope'
      then coalesce(pg_catalog.regexp_split_to_array(nullif(btrim(app.current_claims() ->> 'scope'), ''), '\s+'), '{}')
    end
$$;

grant execute on function app.current_claims(), app.current_user_id(), app.current_scopes() to anon, authenticated, lotline_auth;
