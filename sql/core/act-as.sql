-- The SQL door: take on a user's identity for the rest of the transaction, exactly as the gateway does.
create or replace function app.act_as(_sub text, _scope text default null)
returns void
language plpgsql volatile security invoker set search_path = ''
as $$
begin
  if _sub is null or length(_sub) = 0 then
    perform app.invalid('_sub', 'required', '_sub is required');
  end if;
  perform pg_catalog.set_config('request.jwt.claims',
    jsonb_strip_nulls(jsonb_build_object('sub', _sub, 'role', 'authenticated', 'scope', _scope))::text, true);
  perform pg_catalog.set_config('role', 'authenticated', true);
end
$$;
comment on function app.act_as(text, text) is
  'SQL door: set role authenticated and request.jwt.claims {sub, role, scope} for this transaction (what the gateway does per request).';

-- Act as the anonymous role (consumer-facing public functions).
create or replace function app.act_as_anon()
returns void
language plpgsql volatile security invoker set search_path = ''
as $$
begin
  perform pg_catalog.set_config('request.jwt.claims', '{"role":"anon"}', true);
  perform pg_catalog.set_config('role', 'anon', true);
end
$$;
