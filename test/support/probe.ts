// The `sec` probe schema: functions that record every call and echo the request context, so tests
// can prove whether (and as whom) a request reached the database.
import type { Sql } from 'postgres';

/**
 * `sec` schema, installed into a test database by the superuser:
 * - sec.calls: one row per probe call (who, claims, backend pid);
 * - sec.probe(): records the call, executable by anon and authenticated;
 * - sec.probe_member(): the same, authenticated only;
 * - sec.whoami(): read-only echo of the request context (claims, role, sub, pid);
 * - sec.sleepy(_seconds): holds its connection (pool exhaustion, statement timeouts);
 * - sec.sleepy_hoisted(): carries `set statement_timeout = '150ms'` (hoisted by the gateway).
 * Expose it with `schemas: ['api', 'sec']` and call with `Content-Profile: sec` (POST) / `Accept-Profile: sec` (GET).
 */
export const PROBE_SQL = `
create schema if not exists sec;
create table if not exists sec.calls (
  id bigserial primary key, fn text not null, claims text, who text not null, pid int not null,
  at timestamptz not null default clock_timestamp());
grant usage on schema sec to anon, authenticated;
grant select, insert on sec.calls to anon, authenticated;
grant usage on sequence sec.calls_id_seq to anon, authenticated;

create or replace function sec.probe() returns json
language plpgsql volatile security invoker set search_path = '' as $$
begin
  insert into sec.calls (fn, claims, who, pid)
  values ('probe', pg_catalog.current_setting('request.jwt.claims', true), current_user, pg_catalog.pg_backend_pid());
  return pg_catalog.json_build_object('role', current_user, 'sub', app.current_user_id(), 'pid', pg_catalog.pg_backend_pid());
end $$;
create or replace function sec.probe_member() returns json
language plpgsql volatile security invoker set search_path = '' as $$
begin
  insert into sec.calls (fn, claims, who, pid)
  values ('probe_member', pg_catalog.current_setting('request.jwt.claims', true), current_user, pg_catalog.pg_backend_pid());
  return pg_catalog.json_build_object('role', current_user, 'sub', app.current_user_id());
end $$;
create or replace function sec.whoami(_tag text default null) returns json
language sql stable security invoker set search_path = '' as $$
  select pg_catalog.json_build_object(
    'tag', _tag,
    'claims', nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::json,
    'sub', app.current_user_id(),
    'role', current_user,
    'pid', pg_catalog.pg_backend_pid(),
    'leak', nullif(pg_catalog.current_setting('sec.leak', true), ''))
$$;
create or replace function sec.set_local_marker(_v text) returns json
language sql volatile security invoker set search_path = '' as $$
  select pg_catalog.json_build_object('marker', pg_catalog.set_config('sec.leak', _v, true), 'sub', app.current_user_id(),
                                      'pid', pg_catalog.pg_backend_pid())
$$;
-- deliberately WRONG (session-level): the negative control of the PgBouncer leak test
create or replace function sec.set_session_marker(_v text) returns text
language sql volatile security invoker set search_path = '' as $$
  select pg_catalog.set_config('sec.leak', _v, false)
$$;
create or replace function sec.sleepy(_seconds float8) returns int
language plpgsql volatile security invoker set search_path = '' as $$
begin
  perform pg_catalog.pg_sleep(_seconds);
  return pg_catalog.pg_backend_pid();
end $$;
create or replace function sec.sleepy_hoisted(_seconds float8) returns int
language plpgsql volatile security invoker set search_path = '' set statement_timeout = '150ms' as $$
begin
  perform pg_catalog.pg_sleep(_seconds);
  return pg_catalog.pg_backend_pid();
end $$;
revoke execute on all functions in schema sec from public;
grant execute on function sec.probe(), sec.whoami(text), sec.sleepy(float8), sec.sleepy_hoisted(float8) to anon, authenticated;
grant execute on function sec.probe_member(), sec.set_local_marker(text), sec.set_session_marker(text) to authenticated;
`;

export async function installProbe(admin: Sql): Promise<void> {
  await admin.unsafe(PROBE_SQL);
}

export async function probeCalls(admin: Sql): Promise<number> {
  const [r] = await admin<{ n: number }[]>`select count(*)::int as n from sec.calls`;
  return r!.n;
}
