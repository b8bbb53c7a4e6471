// The gateway suite's own schema: functions of every return kind and argument kind, created in the
// test file's cloned database. Not lotline's API: it exists to pin the PostgREST contract down.
import { afterAll, beforeAll } from 'vitest';
import { createTestDb, type TestDb } from '../support/db.ts';
import { startGateway, type TestGateway } from '../support/gateway.ts';
import type { GatewaySettings } from '../../src/gateway/settings.ts';

export const CONTRACT_SCHEMA_SQL = String.raw`
create schema demo;
comment on schema demo is $$Demo API
Functions for the gateway contract tests.$$;
create schema demo2;
grant usage on schema demo, demo2 to anon, authenticated;

create table demo.items (id int primary key, name text not null, qty int, price numeric(10,2), note text, data jsonb);
insert into demo.items values
  (1, 'Alpha', 5, 1.50, null, '{"k":"a","n":1}'),
  (2, 'Bravo', 12, 2.00, 'second', '{"k":"b","n":2}'),
  (3, 'Charlie', 7, 3.25, null, '{"k":"c","n":3}'),
  (4, 'Delta', 10, 4.00, 'has, comma', '{"k":"d","n":4}'),
  (5, 'Echo', 3, 5.10, 'say "hi"', '{"k":"e","n":5}'),
  (6, 'Foxtrot', 15, 6.00, null, null);
create table demo.log (id serial primary key, msg text not null unique);
grant select, insert on demo.items, demo.log to anon, authenticated;
grant usage on sequence demo.log_id_seq to anon, authenticated;

create function demo.add_them(a int, b int) returns int language sql immutable as $$ select a + b $$;
comment on function demo.add_them(int, int) is $$Adds two numbers
Returns a + b.$$;
create function demo.hello(name text default 'guest') returns text language sql stable as $$ select 'Hello, ' || name || '!' $$;
create function demo.no_args() returns text language sql stable as $$ select 'ok' $$;
create function demo.list_items() returns setof demo.items language sql stable as $$ select * from demo.items order by id $$;
create function demo.items_between(p_min int, p_max int) returns setof demo.items language sql stable
  as $$ select * from demo.items where id between p_min and p_max order by id $$;
create function demo.items_below(id int) returns setof demo.items language sql stable
  as $$ select * from demo.items i where i.id < items_below.id order by i.id $$;
create function demo.get_item(p_id int) returns demo.items language sql stable as $$ select * from demo.items where id = p_id $$;
create function demo.null_item() returns demo.items language plpgsql stable as $$ begin return null; end $$;
create function demo.item_stats() returns table(item_name text, stock_value numeric) language sql stable
  as $$ select name, qty * price from demo.items order by id $$;
create function demo.one_col_table() returns table(v int) language sql stable as $$ values (1), (2) $$;
create function demo.plus_one(num int, out num_plus_one int) language sql immutable as $$ select num + 1 $$;
create function demo.full_name(out first_name text, out last_name text) language sql immutable as $$ select 'Ada', 'Lovelace' $$;
create function demo.setof_ints() returns setof int language sql immutable as $$ values (1), (2), (3) $$;
create function demo.int_array() returns int[] language sql immutable as $$ select '{1,2,3}'::int[] $$;
create function demo.a_range() returns int4range language sql immutable as $$ select int4range(10, 20) $$;
create function demo.a_numeric() returns numeric language sql immutable as $$ select 1.50::numeric $$;
create function demo.a_null() returns text language sql immutable as $$ select null::text $$;
create function demo.noop() returns void language sql volatile as $$ select $$;
create function demo.add_item(p_id int, p_name text) returns demo.items language sql volatile
  as $$ insert into demo.items (id, name) values (p_id, p_name) returning * $$;
create function demo.add_log(p_msg text) returns int language sql volatile
  as $$ insert into demo.log (msg) values (p_msg) returning id $$;
create function demo.add_logs(p_prefix text, p_n int) returns setof demo.log language sql volatile
  as $$ insert into demo.log (msg) select p_prefix || g from generate_series(1, p_n) g returning * $$;
create function demo.stable_writer(p_msg text) returns bigint language sql stable
  as $$ select nextval('demo.log_id_seq') $$;
create function demo.volatile_reader() returns bigint language sql volatile as $$ select count(*) from demo.items $$;
create function demo.pick(arg int) returns text language sql immutable as $$ select 'int' $$;
create function demo.pick(arg text) returns text language sql immutable as $$ select 'text' $$;
create function demo.over(a int) returns text language sql immutable as $$ select 'one' $$;
create function demo.over(a int, b int) returns text language sql immutable as $$ select 'two' $$;
create function demo.echo_json(json) returns json language sql immutable as $$ select $1 $$;
create function demo.echo_text(text) returns text language sql immutable as $$ select $1 $$;
create function demo.echo_xml(xml) returns text language sql immutable as $$ select $1::text $$;
create function demo.echo_bytea(bytea) returns text language sql immutable as $$ select encode($1, 'hex') $$;
create function demo.two_unnamed(int, int) returns int language sql immutable as $$ select 1 $$;
create function demo.jsonb_arg(p_doc jsonb) returns jsonb language sql immutable as $$ select p_doc $$;
create function demo.json_kind(p_doc json) returns text language sql immutable as $$ select json_typeof(p_doc) $$;
create function demo.variadic_sum(variadic v int[]) returns int language sql immutable as $$ select sum(x)::int from unnest(v) x $$;
create function demo.variadic_text(variadic v text[] default '{}') returns text language sql immutable
  as $$ select coalesce(array_to_string(v, '|'), '') $$;
create function demo.array_len(p_arr int[]) returns int language sql immutable as $$ select cardinality(p_arr) $$;
create function demo.text_array(p_arr text[]) returns text[] language sql immutable as $$ select p_arr $$;
create type demo.point2 as (x int, y int);
create function demo.point_sum(p demo.point2) returns int language sql immutable as $$ select (p).x + (p).y $$;
create function demo.dates(p_day date, p_at timestamptz default null) returns text language sql immutable
  as $$ select p_day::text || coalesce(' ' || (p_at at time zone 'UTC')::text, '') $$;
create function demo."echoCase"("someParam" text) returns text language sql immutable as $$ select "someParam" $$;
create function demo.whoami() returns json language sql stable as $$
  select json_build_object(
    'role', current_user,
    'claims', nullif(current_setting('request.jwt.claims', true), '')::json,
    'method', current_setting('request.method', true),
    'path', current_setting('request.path', true),
    'headers', nullif(current_setting('request.headers', true), '')::json,
    'cookies', nullif(current_setting('request.cookies', true), '')::json,
    'search_path', current_setting('search_path'),
    'read_only', current_setting('transaction_read_only'),
    'isolation', current_setting('transaction_isolation'),
    'timezone', current_setting('timezone'),
    'statement_timeout', current_setting('statement_timeout'),
    'lock_timeout', current_setting('lock_timeout'),
    'pre', current_setting('demo.pre', true),
    'app_setting', current_setting('app.settings.greeting', true)) $$;
create function demo.access_mode() returns text language sql volatile as $$ select current_setting('transaction_read_only') $$;
create function demo.iso() returns text language sql stable set default_transaction_isolation = 'serializable'
  as $$ select current_setting('transaction_isolation') $$;
create function demo.slow() returns int language sql stable set statement_timeout = '100ms' as $$ select 1 from pg_sleep(1) $$;
create function demo.sleep(p_ms int) returns int language sql stable as $$ select p_ms from pg_sleep(p_ms / 1000.0) $$;
create function demo.created() returns void language plpgsql volatile as $$
begin
  perform set_config('response.status', '201', true);
  perform set_config('response.headers', '[{"Location":"/items/7"}]', true);
end $$;
create function demo.teapot() returns text language plpgsql stable as $$
begin
  perform set_config('response.status', '418', true);
  perform set_config('response.headers',
    '[{"Cache-Control":"no-store"},{"Set-Cookie":"a=1"},{"Set-Cookie":"b=2"},{"Content-Type":"text/plain; charset=utf-8"}]', true);
  return 'short and stout';
end $$;
create function demo.bad_status() returns int language plpgsql stable as $$
begin perform set_config('response.status', 'abc', true); return 1; end $$;
create function demo.bad_headers() returns int language plpgsql stable as $$
begin perform set_config('response.headers', '{"a":"b"}', true); return 1; end $$;
create function demo.raise_pgrst() returns void language plpgsql stable as $$
begin
  raise sqlstate 'PGRST' using
    message = '{"code":"QUOTA1","message":"Monthly quota used up","details":"10 of 10 calls used","hint":"Wait for the next cycle"}',
    detail = '{"status":429,"headers":{"Retry-After":"30"}}';
end $$;
create function demo.raise_pgrst_partial() returns void language plpgsql stable as $$
begin raise sqlstate 'PGRST' using message = '{"code":"X1","message":"partial"}', detail = '{"status":402,"headers":{}}'; end $$;
create function demo.raise_pgrst_no_detail() returns void language plpgsql stable as $$
begin raise sqlstate 'PGRST' using message = '{"code":"X1","message":"m"}'; end $$;
create function demo.raise_pgrst_bad_message() returns void language plpgsql stable as $$
begin raise sqlstate 'PGRST' using message = 'not json', detail = '{"status":400,"headers":{}}'; end $$;
create function demo.raise_pgrst_bad_detail() returns void language plpgsql stable as $$
begin raise sqlstate 'PGRST' using message = '{"code":"X1","message":"m"}', detail = 'nope'; end $$;
create function demo.raise_code(p_code text, p_message text default 'boom') returns void language plpgsql stable as $$
begin raise exception using errcode = p_code, message = p_message; end $$;
create function demo.raise_plain() returns void language plpgsql stable as $$
begin raise exception 'Request refused' using detail = 'Always refuses', hint = 'It is a test'; end $$;
create function demo.div_zero() returns int language sql stable as $$ select 1 / 0 $$;
create function demo.authed_only() returns text language sql stable as $$ select 'secret' $$;
revoke execute on function demo.authed_only() from public;
grant execute on function demo.authed_only() to authenticated;
create function demo.nobody() returns text language sql stable as $$ select 'x' $$;
revoke execute on function demo.nobody() from public;
create function demo.pre_check() returns void language plpgsql stable as $$
begin
  perform set_config('demo.pre', 'ran', true);
  if current_setting('request.headers', true)::json->>'x-block' = 'yes' then
    raise sqlstate 'PT403' using message = 'Blocked by pre-request';
  end if;
  perform set_config('response.headers', '[{"X-Pre":"1"}]', true);
end $$;
create function demo.nullable_rows() returns table(id int, a text, b int) language sql stable
  as $$ values (1, 'x', null::int), (2, null, 2), (3, null, null) $$;
create function demo.deferred_fail() returns int language plpgsql volatile as $$
begin
  set constraints all deferred;
  insert into demo.dlog (ref) values (999);
  return 1;
end $$;
create table demo.dparent (id int primary key);
create table demo.dlog (ref int references demo.dparent (id) deferrable initially deferred);
grant select, insert on demo.dparent, demo.dlog to anon, authenticated;
create procedure demo.a_proc() language sql as $$ select 1 $$;
create function demo.trig() returns trigger language plpgsql as $$ begin return new; end $$;

create function demo2.hello() returns text language sql stable as $$ select 'from demo2' $$;
create function demo2.only_here() returns text language sql stable as $$ select 'only demo2' $$;
`;

export interface ContractEnv {
  db: TestDb;
  gw: TestGateway;
}

/** Clone a database, create the contract schema (`demo`), start a gateway exposing it (settings overridable). */
export function useContractSchema(overrides: Partial<GatewaySettings> = {}): ContractEnv {
  const env = {} as ContractEnv;
  beforeAll(async () => {
    env.db = await createTestDb();
    await env.db.admin.unsafe(CONTRACT_SCHEMA_SQL);
    env.gw = await startGateway(env.db, { schemas: ['demo'], ...overrides });
  });
  afterAll(async () => {
    await env.gw?.close();
    await env.db?.drop();
  });
  return env;
}
