// The MainTx step (PostgREST's MainTx): one transaction per call — BEGIN with isolation level and access
// mode, the request settings, the pre-request function, the main statement, then COMMIT or ROLLBACK
// (decided in advance, or after checking the result). Builds the TxPlan the pool sends pipelined.
import type { Identity } from './auth.ts';
import type { SchemaCache } from './cache.ts';
import { pgrst } from './errors.ts';
import type { CallPlan } from './plan.ts';
import type { Row, TxPlan } from './pool.ts';
import type { MainStatement } from './query.ts';
import type { ApiRequest } from './request.ts';
import type { GatewaySettings } from './settings.ts';
import { ident, qualified } from './sqltext.ts';

/**
 * Applies the request settings, in order, each with set_config(name, value, true): ONE constant text
 * (prepared once per connection) whatever the settings are; $1 is a JSON array of [name, value] pairs.
 */
const SETTINGS_SQL = 'SELECT pg_catalog.count(pg_catalog.set_config(s.e ->> 0, s.e ->> 1, true)) AS n FROM pg_catalog.json_array_elements($1::json) AS s(e)';

export type TxSettings = Pick<GatewaySettings, 'extraSearchPath' | 'statementTimeoutMs' | 'hoistedTxSettings' | 'appSettings' | 'preRequest'>;

export interface TxInput {
  request: ApiRequest;
  identity: Identity;
  plan: CallPlan;
  main: MainStatement;
  cache: SchemaCache;
}

export function mainTx(x: TxInput, s: TxSettings): TxPlan {
  const { plan, identity, cache } = x;
  const r = plan.routine;
  const isolation = r.fn.settings.default_transaction_isolation !== undefined && s.hoistedTxSettings.includes('default_transaction_isolation')
    ? r.fn.settings.default_transaction_isolation
    : cache.roleSettings.get(identity.role)?.find(([k]) => k === 'default_transaction_isolation')?.[1];
  const begin = `BEGIN${isolation ? ` ISOLATION LEVEL ${isolationSql(isolation)}` : ''}${plan.readOnly ? ' READ ONLY' : ''}`;
  const singularCheck = plan.media.kind === 'singular' && r.returnsSet;
  const check = (row: Row): void => {
    const pageTotal = Number(row.page_total ?? 0);
    if (singularCheck && pageTotal !== 1) throw pgrst.singular(pageTotal);
    if (plan.maxAffected !== undefined && pageTotal > plan.maxAffected) throw pgrst.maxAffected(pageTotal);
  };
  return {
    begin,
    settings: { text: SETTINGS_SQL, params: [JSON.stringify(requestSettings(x, s))] },
    pre: s.preRequest ? { text: `SELECT ${preRequestSql(s.preRequest)}()` } : undefined,
    main: { text: x.main.text, params: x.main.params },
    // known in advance: sent with the rest (one round trip); a check that may undo a write: decided after the result
    end: plan.rollback ? 'rollback' : plan.postCheck && !plan.readOnly ? () => 'commit' : 'commit',
    check: plan.postCheck ? check : undefined,
  };
}

/**
 * The request context (PostgREST's transaction-local request settings) as (name, value) pairs in its order, applied by
 * SETTINGS_SQL with set_config(…, true): every value — claims, headers, cookies, path, role — is data.
 */
export function requestSettings(x: TxInput, s: TxSettings): [string, string][] {
  const { request: req, identity: id, cache: c } = x;
  const r = x.plan.routine;
  const out: [string, string][] = [];
  out.push(['search_path', [req.schema, ...s.extraSearchPath].map(ident).join(', ')]);
  if (s.statementTimeoutMs > 0) out.push(['statement_timeout', `${s.statementTimeoutMs}ms`]);
  for (const [k, v] of c.roleSettings.get(id.role) ?? []) if (k !== 'default_transaction_isolation') out.push([k, v]);
  out.push(['role', id.role]);
  out.push(['request.jwt.claims', JSON.stringify(id.claims)]);
  out.push(['request.method', req.method]);
  out.push(['request.path', req.path]);
  out.push(['request.headers', JSON.stringify(req.headers)]);
  out.push(['request.cookies', JSON.stringify(req.cookies)]);
  if (req.preferences.timezone) out.push(['timezone', req.preferences.timezone]);
  for (const k of s.hoistedTxSettings) {
    const v = r.fn.settings[k];
    if (v !== undefined && k !== 'default_transaction_isolation') out.push([k, v]);
  }
  for (const [k, v] of Object.entries(s.appSettings)) out.push([k, v]);
  return out;
}

function isolationSql(v: string): string {
  const x = v.trim().toLowerCase().replace(/[-_]/g, ' ');
  if (x === 'serializable') return 'SERIALIZABLE';
  if (x === 'repeatable read') return 'REPEATABLE READ';
  if (x === 'read uncommitted') return 'READ UNCOMMITTED';
  return 'READ COMMITTED';
}

/** `schema.function` (or a bare name) from the settings, as quoted SQL. */
function preRequestSql(name: string): string {
  const i = name.indexOf('.');
  return i < 0 ? ident(name) : qualified(name.slice(0, i), name.slice(i + 1));
}
