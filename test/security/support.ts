// Shared helpers of the security suite (test/security/**): a probe schema whose functions record every
// call, raw HTTP requests (any header bytes, a hard timeout), PostgREST error-shape checks, and
// whole-database fingerprints used to prove that nothing was written.
import { expect } from 'vitest';
import { request } from 'node:http';
import { connect } from 'node:net';
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

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** parsed JSON body, or undefined when the body is not JSON */
  json: unknown;
  ms: number;
}

/** One HTTP request; header values given as Buffers are written byte for byte (fetch and node:http refuse them). */
export function raw(
  baseUrl: string,
  o: { method?: string; path: string; headers?: Record<string, string | Buffer>; body?: string | Buffer; timeoutMs?: number },
): Promise<RawResponse> {
  const headers = o.headers ?? {};
  if (Object.values(headers).some((v) => Buffer.isBuffer(v))) return rawSocket(baseUrl, o);
  const u = new URL(baseUrl);
  const started = performance.now();
  const timeoutMs = o.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const body = o.body === undefined ? undefined : Buffer.isBuffer(o.body) ? o.body : Buffer.from(o.body);
    const req = request({
      host: u.hostname,
      port: Number(u.port),
      method: o.method ?? 'POST',
      path: o.path,
      headers: { ...(body ? { 'Content-Length': String(body.length) } : {}), ...(headers as Record<string, string>) },
      timeout: timeoutMs,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(finish(res.statusCode ?? 0, res.headers, Buffer.concat(chunks), started)));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`request timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

function finish(status: number, headers: Record<string, string | string[] | undefined>, buf: Buffer, started: number): RawResponse {
  const text = buf.toString('utf8');
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status, headers, text, json, ms: performance.now() - started };
}

/** HTTP/1.1 over a bare socket (Connection: close), for header bytes no HTTP client would send. */
function rawSocket(
  baseUrl: string,
  o: { method?: string; path: string; headers?: Record<string, string | Buffer>; body?: string | Buffer; timeoutMs?: number },
): Promise<RawResponse> {
  const u = new URL(baseUrl);
  const started = performance.now();
  const body = o.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(o.body) ? o.body : Buffer.from(o.body);
  const lines: Buffer[] = [Buffer.from(`${o.method ?? 'POST'} ${o.path} HTTP/1.1\r\nHost: ${u.host}\r\nConnection: close\r\nContent-Length: ${body.length}\r\n`)];
  for (const [k, v] of Object.entries(o.headers ?? {})) lines.push(Buffer.from(`${k}: `), Buffer.isBuffer(v) ? v : Buffer.from(v), Buffer.from('\r\n'));
  lines.push(Buffer.from('\r\n'), body);
  return new Promise((resolve, reject) => {
    const sock = connect({ host: u.hostname, port: Number(u.port) });
    const chunks: Buffer[] = [];
    sock.setTimeout(o.timeoutMs ?? 10_000, () => sock.destroy(new Error('request timed out')));
    sock.on('connect', () => sock.write(Buffer.concat(lines))); // no half-close: the server closes (Connection: close)
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('error', reject);
    sock.on('close', () => {
      const all = Buffer.concat(chunks);
      const sep = all.indexOf('\r\n\r\n');
      if (sep < 0) return reject(new Error(`no HTTP response: ${JSON.stringify(all.toString('latin1').slice(0, 200))}`));
      const [statusLine, ...headerLines] = all.subarray(0, sep).toString('latin1').split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of headerLines) {
        const i = l.indexOf(':');
        if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      let payload = all.subarray(sep + 4);
      if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
        const parts: Buffer[] = [];
        let rest = payload;
        for (;;) {
          const nl = rest.indexOf('\r\n');
          const size = parseInt(rest.subarray(0, nl).toString('latin1'), 16);
          if (!size) break;
          parts.push(rest.subarray(nl + 2, nl + 2 + size));
          rest = rest.subarray(nl + 2 + size + 2);
        }
        payload = Buffer.concat(parts);
      }
      resolve(finish(Number(statusLine!.split(' ')[1]), headers, payload, started));
    });
  });
}

/** PostgREST's error body: exactly code, message, details, hint (strings or null). */
export function expectErrorShape(body: unknown, ctx = ''): asserts body is { code: string; message: string; details: string | null; hint: string | null } {
  expect(body, `${ctx}: error body`).toBeTypeOf('object');
  expect(Object.keys(body as object).sort(), `${ctx}: error keys`).toEqual(['code', 'details', 'hint', 'message']);
  const b = body as Record<string, unknown>;
  expect(typeof b.code, `${ctx}: code`).toBe('string');
  expect(typeof b.message, `${ctx}: message`).toBe('string');
  for (const k of ['details', 'hint']) expect(b[k] === null || typeof b[k] === 'string', `${ctx}: ${k}`).toBe(true);
}

/** Data tables of the `data` schema and how to select one brand's rows from each. */
export async function dataTables(admin: Sql): Promise<{ name: string; brandColumn: 'brand_id' | 'id' }[]> {
  const rows = await admin<{ name: string; has_brand: boolean }[]>`
    select c.relname as name,
           exists (select from pg_attribute a where a.attrelid = c.oid and a.attname = 'brand_id' and not a.attisdropped) as has_brand
      from pg_class c where c.relnamespace = 'data'::regnamespace and c.relkind in ('r', 'p') and not c.relispartition order by 1`;
  return rows.map((r) => ({ name: r.name, brandColumn: r.has_brand ? 'brand_id' : 'id' }));
}

/** md5 of every data table's rows of one brand (ordered), per table. Any change to the brand shows. */
export async function brandSnapshot(admin: Sql, brandId: string): Promise<Record<string, string>> {
  const tables = await dataTables(admin);
  const parts = tables.map((t) =>
    `select '${t.name}' as t, count(*)::int as n, coalesce(md5(string_agg(row_to_json(x)::text, '|' order by row_to_json(x)::text)), '-') as h ` +
    `from data."${t.name}" x where x."${t.brandColumn}" = $1`);
  const rows = await admin.unsafe<{ t: string; n: number; h: string }[]>(parts.join(' union all '), [brandId]);
  return Object.fromEntries(rows.map((r) => [r.t, `${r.n}:${r.h}`]));
}

/** Row counts of every data table (the whole database). */
export async function rowCounts(admin: Sql): Promise<Record<string, number>> {
  const tables = await dataTables(admin);
  const q = tables.map((t) => `select '${t.name}' as t, count(*)::int as n from data."${t.name}"`).join(' union all ');
  const rows = await admin.unsafe<{ t: string; n: number }[]>(q);
  return Object.fromEntries(rows.map((r) => [r.t, r.n]));
}

/**
 * A committed-write log: an AFTER row trigger on every data table appends to sec.writes. A rolled-back
 * call leaves no row there, so "the log did not grow" proves that a call committed no change to any
 * data table (inserts, updates and deletes alike, cascades included).
 */
export async function installWriteLog(admin: Sql): Promise<void> {
  await admin.unsafe(`
    create schema if not exists sec;
    create table if not exists sec.writes (id bigserial primary key, tbl text not null, op text not null);
    create or replace function sec.tg_log_write() returns trigger
    language plpgsql security definer set search_path = '' as $f$
    begin
      insert into sec.writes (tbl, op) values (tg_table_name, tg_op);
      return null;
    end $f$;
    revoke execute on function sec.tg_log_write() from public;`);
  for (const t of await dataTables(admin)) {
    await admin.unsafe(`drop trigger if exists zz_sec_log_write on data."${t.name}";
      create trigger zz_sec_log_write after insert or update or delete on data."${t.name}"
      for each row execute function sec.tg_log_write()`);
  }
}

export async function writeCount(admin: Sql): Promise<number> {
  const [r] = await admin<{ n: number }[]>`select coalesce(max(id), 0)::int as n from sec.writes`;
  return r!.n;
}

/** Print a count for docs/security.md (grep the test output for `[security]`). */
export function tally(label: string, n: number): void {
  process.stdout.write(`[security] ${label}: ${n}\n`);
}
