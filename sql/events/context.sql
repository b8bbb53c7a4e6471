-- Who is writing, through which door and request: read once per statement by the audit and event triggers.
-- The gateway sets request.jwt.claims, request.method and request.headers (x-request-id is the id it answers
-- with) per transaction; the SQL door (app.act_as) sets only the claims.

create or replace function app.write_context(out actor text, out request_id text, out door text, out db_role text)
language plpgsql stable security invoker set search_path = ''
as $$
begin
  -- plpgsql rather than sql: its plans are kept for the session (the triggers call it once per statement)
  actor := nullif(nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub', '');
  request_id := left(nullif(nullif(pg_catalog.current_setting('request.headers', true), '')::jsonb ->> 'x-request-id', ''), 200);
  door := case when coalesce(pg_catalog.current_setting('request.method', true), '') <> '' then 'http' else 'sql' end;
  -- the role the request runs as (SET LOCAL ROLE), not the definer this runs under; session_user for a DBA
  db_role := coalesce(nullif(pg_catalog.current_setting('role', true), 'none'), session_user::text);
end
$$;
comment on function app.write_context() is
  'The writer of the current statement: JWT sub, the gateway''s X-Request-Id, the door (http when the gateway set request.method, else sql) and the database role.';
grant execute on function app.write_context() to authenticated, lotline_auth;
