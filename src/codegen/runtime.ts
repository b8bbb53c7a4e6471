// The server-side client's runtime: calls a function of the exposed schema as a given user, on the
// same path as the HTTP gateway — one transaction (read only for stable/immutable functions), the
// role and request.jwt.claims set transaction-locally with set_config(..., true), the function called
// in named notation with every value a bound parameter cast to the catalog type, the result asked
// of Postgres as JSON (so values are exactly what the HTTP door returns) and checked with zod.
// src/codegen/runtime.ts is copied verbatim into generated/runtime.ts by `npm run gen`.
import type { Sql, TransactionSql } from 'postgres';
import type { z } from 'zod';

export type ArgKind = 'plain' | 'json' | 'array' | 'composite' | 'composite_array';

export interface ArgMeta {
  readonly name: string;
  /** SQL type the bound text is cast to, e.g. `uuid`, `timestamp with time zone`, `"api"."batch"` */
  readonly cast: string;
  readonly kind: ArgKind;
  readonly required: boolean;
  readonly variadic?: boolean;
}

export interface FunctionMeta {
  readonly schema: string;
  readonly name: string;
  readonly args: readonly ArgMeta[];
  readonly returns: 'void' | 'scalar' | 'scalars' | 'row' | 'rows';
  readonly volatility: 'immutable' | 'stable' | 'volatile';
  /** function settings applied to the whole transaction, as PostgREST hoists them */
  readonly settings?: Readonly<Record<string, string>>;
  readonly result: z.ZodType;
}

/** schema → function name → overloads */
export type Catalogue = Readonly<Record<string, Readonly<Record<string, readonly FunctionMeta[]>>>>;

/** Who the call runs as: the claims a verified JWT would carry. */
export interface Identity {
  /** the JWT `sub` (a user id, or an integration client's id) */
  sub: string;
  /** space-separated scopes, as in a token's `scope` claim; omit for a role-governed user token */
  scope?: string;
  /** database role; default `authenticated` */
  role?: string;
  /** any further claims for request.jwt.claims */
  claims?: Readonly<Record<string, unknown>>;
}

export interface ClientOptions {
  /** database roles a call may switch to (default `anon`, `authenticated`) */
  allowedRoles?: readonly string[];
  /** the anonymous role (default `anon`) */
  anonRole?: string;
  /** schemas after the function's own on the search_path (default `public`, as the gateway) */
  extraSearchPath?: readonly string[];
  /** check every result with its zod schema (default true) */
  validate?: boolean;
}

/** A database error, in PostgREST's body shape: SQLSTATE `code`, `message`, `details`, `hint`. */
export class RpcError extends Error {
  readonly code: string;
  readonly details: string | null;
  readonly hint: string | null;
  constructor(e: { code: string; message: string; details?: string | null; hint?: string | null }) {
    super(e.message);
    this.name = 'RpcError';
    this.code = e.code;
    this.details = e.details || null;
    this.hint = e.hint || null;
  }
  /** `details` parsed when it is JSON (app.raise puts {"field","rule",…} there), else null */
  get detailsJson(): unknown {
    if (this.details == null) return null;
    try {
      return JSON.parse(this.details);
    } catch {
      return null;
    }
  }
  toJSON(): { code: string; message: string; details: string | null; hint: string | null } {
    return { code: this.code, message: this.message, details: this.details, hint: this.hint };
  }
}

/** The function answered, but not in the shape the generated schema describes (regenerate?). */
export class RpcResultError extends Error {
  readonly issues: readonly z.core.$ZodIssue[];
  readonly value: unknown;
  constructor(fn: string, issues: readonly z.core.$ZodIssue[], value: unknown) {
    super(`${fn}: result does not match the generated schema: ${issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
    this.name = 'RpcResultError';
    this.issues = issues;
    this.value = value;
  }
}

// ---------------------------------------------------------------------------------------------
// Types: the call signature is derived from the Database type.

type AnyFn = { Args: unknown; Returns: unknown };
type SchemaFns<DB, S extends keyof DB> = DB[S] extends { Functions: infer F } ? F : never;
type KeysOfUnion<T> = T extends unknown ? keyof T : never;
/** Rejects argument names the function does not have (postgrest-js's own rpc() lets optional ones slip). */
type Exact<A, Shape> = A & { [K in Exclude<keyof A, KeysOfUnion<Shape>>]: never };
type ArgsOf<F> = F extends { Args: infer A } ? A : never;
/** The overload whose arguments the call matches. */
type ReturnsFor<F, A> = F extends AnyFn ? (A extends F['Args'] ? F['Returns'] : never) : never;
type ArgsParam<Args, A> = {} extends Args ? [args?: Exact<A, Args>] : [args: Exact<A, Args>];

export type FunctionNameOf<DB, S extends keyof DB> = string & keyof SchemaFns<DB, S>;

export interface RpcSession<DB, S extends keyof DB> {
  /**
   * Call `name` as this session's user; resolves to the function's JSON result (an array for
   * set-returning functions, undefined for void) checked against the generated zod schema.
   * SQL errors reject with an RpcError carrying code/message/details/hint.
   */
  rpc<N extends FunctionNameOf<DB, S>, A extends ArgsOf<SchemaFns<DB, S>[N]>>(
    name: N,
    ...args: ArgsParam<ArgsOf<SchemaFns<DB, S>[N]>, A>
  ): Promise<ReturnsFor<SchemaFns<DB, S>[N], A>>;
}

export interface RpcClient<DB, S extends keyof DB> {
  /** Act as a user: role `authenticated` (or `who.role`) with claims {sub, scope, role, …}. */
  as(who: Identity): RpcSession<DB, S>;
  /** Act as the anonymous role (claims {"role":"anon"}). */
  anon(): RpcSession<DB, S>;
  /** The same client for another exposed schema. */
  schema<S2 extends string & keyof DB>(schema: S2): RpcClient<DB, S2>;
}

// ---------------------------------------------------------------------------------------------
// Runtime

const HOISTED = new Set(['statement_timeout', 'plan_filter.statement_cost_limit']);

function quoteIdent(s: string): string {
  return `"${s.replaceAll('"', '""')}"`;
}

function arrayElement(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (Array.isArray(v)) return arrayLiteral(v);
  const s = typeof v === 'object' && !(v instanceof Date) ? JSON.stringify(v) : scalarText(v);
  return `"${s.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

function arrayLiteral(v: readonly unknown[]): string {
  return `{${v.map(arrayElement).join(',')}}`;
}

function scalarText(v: unknown): string {
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** The text handed to `$n::text::<cast>`, as PostgREST converts a JSON value for a parameter. */
function paramText(kind: ArgKind, v: unknown): string | null {
  if (v === null || v === undefined) return null;
  switch (kind) {
    case 'json':
    case 'composite':
    case 'composite_array':
      return JSON.stringify(v);
    case 'array':
      if (!Array.isArray(v)) throw new RpcError({ code: '22P02', message: `malformed array literal: ${JSON.stringify(v)}` });
      return arrayLiteral(v);
    default:
      return scalarText(v);
  }
}

function paramSql(a: ArgMeta, n: number): string {
  const p = `$${n}::text`;
  switch (a.kind) {
    case 'json':
      return `${p}::${a.cast}`;
    case 'composite':
      return `pg_catalog.jsonb_populate_record(null::${a.cast}, ${p}::jsonb)`;
    case 'composite_array': {
      const el = a.cast.replace(/\[\]$/, '');
      return `array(select r from pg_catalog.jsonb_populate_recordset(null::${el}, ${p}::jsonb) r)`;
    }
    default:
      return `${p}::${a.cast}`;
  }
}

function notFound(schema: string, name: string, keys: string[]): RpcError {
  const sorted = [...keys].sort();
  return new RpcError({
    code: 'PGRST202',
    message: sorted.length
      ? `Could not find the function ${schema}.${name}(${sorted.join(', ')}) in the schema cache`
      : `Could not find the function ${schema}.${name} without parameters in the schema cache`,
    details: null,
    hint: null,
  });
}

/** PostgREST's overload choice: every required argument given, every given key an argument. */
function choose(catalogue: Catalogue, schema: string, name: string, keys: string[]): FunctionMeta {
  const overloads = catalogue[schema]?.[name] ?? [];
  const matches = overloads.filter(
    (f) => f.args.every((a) => !a.required || keys.includes(a.name)) && keys.every((k) => f.args.some((a) => a.name === k)),
  );
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) throw notFound(schema, name, keys);
  throw new RpcError({
    code: 'PGRST203',
    message: `Could not choose the best candidate function between: ${matches
      .map((f) => `${schema}.${name}(${f.args.map((a) => `${a.name} => ${a.cast}`).join(', ')})`)
      .join(', ')}`,
    details: null,
    hint: 'Try renaming the parameters or the function itself in the database so function overloading can be resolved',
  });
}

/** The statement for one call: the function in named notation, its result as JSON in `v`. */
export function callStatement(f: FunctionMeta, args: Record<string, unknown>): { text: string; params: (string | null)[] } {
  const params: (string | null)[] = [];
  const named: string[] = [];
  for (const a of f.args) {
    if (!(a.name in args) || args[a.name] === undefined) continue;
    params.push(paramText(a.kind, args[a.name]));
    // an unnamed argument (the single json/text one PostgREST allows) is passed by position
    const label = a.name === '' ? '' : `${quoteIdent(a.name)} => `;
    named.push(`${a.variadic ? 'variadic ' : ''}${label}${paramSql(a, params.length)}`);
  }
  const call = `${quoteIdent(f.schema)}.${quoteIdent(f.name)}(${named.join(', ')})`;
  switch (f.returns) {
    case 'void':
      return { text: `select ${call} is null as v`, params };
    case 'scalar':
      return { text: `select pg_catalog.to_json(${call}) as v`, params };
    // rows through a subquery, so a function with a single OUT parameter still gives {"name": value}
    case 'row':
      return { text: `select pg_catalog.to_json(_t) as v from (select * from ${call}) _t`, params };
    case 'rows':
      return { text: `select coalesce(pg_catalog.json_agg(_t), '[]') as v from (select * from ${call}) _t`, params };
    case 'scalars':
      return { text: `select coalesce(pg_catalog.json_agg(_t), '[]') as v from ${call} _t`, params };
  }
}

interface PgErrorLike {
  code?: unknown;
  message: string;
  detail?: string;
  hint?: string;
}

function isPgError(e: unknown): e is PgErrorLike & { code: string } {
  return typeof e === 'object' && e !== null && typeof (e as PgErrorLike).code === 'string' && (e as PgErrorLike).code !== '' &&
    (e as { name?: string }).name === 'PostgresError';
}

async function run(
  sql: Sql,
  catalogue: Catalogue,
  options: Required<ClientOptions>,
  schema: string,
  role: string,
  claims: Record<string, unknown>,
  name: string,
  args: Record<string, unknown>,
): Promise<unknown> {
  if (!options.allowedRoles.includes(role)) {
    throw new RpcError({ code: '42501', message: `permission denied to set role "${role}"`, details: null, hint: null });
  }
  const keys = Object.keys(args).filter((k) => args[k] !== undefined);
  const f = choose(catalogue, schema, name, keys);
  const { text, params } = callStatement(f, args);
  const settings = Object.entries(f.settings ?? {}).filter(([k]) => HOISTED.has(k)).sort(([a], [b]) => (a < b ? -1 : 1));
  const isolation = f.settings?.default_transaction_isolation;
  const mode = `${isolation ? `isolation level ${isolation} ` : ''}${f.volatility === 'volatile' ? 'read write' : 'read only'}`;
  const searchPath = [schema, ...options.extraSearchPath].map(quoteIdent).join(', ');
  let value: unknown;
  try {
    value = await sql.begin(mode, async (tx: TransactionSql) => {
      // the request context in the gateway's order (a POST to /rpc/<name> without headers or cookies)
      const setup = [searchPath, role, JSON.stringify(claims), `/rpc/${name}`, ...settings.flat()];
      const hoisted = settings.map((_, i) => `, pg_catalog.set_config($${5 + 2 * i}, $${6 + 2 * i}, true)`).join('');
      await tx.unsafe(
        `select pg_catalog.set_config('search_path', $1, true), pg_catalog.set_config('role', $2, true), ` +
          `pg_catalog.set_config('request.jwt.claims', $3, true), pg_catalog.set_config('request.method', 'POST', true), ` +
          `pg_catalog.set_config('request.path', $4, true), pg_catalog.set_config('request.headers', '{}', true), ` +
          `pg_catalog.set_config('request.cookies', '{}', true)${hoisted}`,
        setup,
      );
      const rows = await tx.unsafe<{ v: unknown }[]>(text, params);
      return f.returns === 'void' ? undefined : (rows[0]?.v ?? null);
    });
  } catch (e) {
    if (isPgError(e)) throw new RpcError({ code: e.code, message: e.message, details: e.detail ?? null, hint: e.hint ?? null });
    throw e;
  }
  if (!options.validate) return value;
  const checked = f.result.safeParse(value);
  if (!checked.success) throw new RpcResultError(`${schema}.${name}`, checked.error.issues, value);
  return checked.data;
}

export function createRpcClient<DB, S extends string & keyof DB>(
  sql: Sql,
  catalogue: Catalogue,
  schema: S,
  options: ClientOptions = {},
): RpcClient<DB, S> {
  const opts: Required<ClientOptions> = {
    allowedRoles: options.allowedRoles ?? ['anon', 'authenticated'],
    anonRole: options.anonRole ?? 'anon',
    extraSearchPath: options.extraSearchPath ?? ['public'],
    validate: options.validate ?? true,
  };
  const session = (role: string, claims: Record<string, unknown>): RpcSession<DB, S> => ({
    rpc: ((name: string, args: Record<string, unknown> = {}) => run(sql, catalogue, opts, schema, role, claims, name, args)) as RpcSession<DB, S>['rpc'],
  });
  return {
    as(who: Identity) {
      const role = who.role ?? 'authenticated';
      const claims: Record<string, unknown> = { ...who.claims, sub: who.sub, role };
      if (who.scope !== undefined) claims.scope = who.scope;
      return session(role, claims);
    },
    anon() {
      return session(opts.anonRole, { role: opts.anonRole });
    },
    schema<S2 extends string & keyof DB>(s: S2) {
      return createRpcClient<DB, S2>(sql, catalogue, s, opts);
    },
  };
}
