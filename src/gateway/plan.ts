// The Plan step (PostgREST's Plan.callPlan): an RPC request against the schema cache → which function
// (overload resolution), with which arguments, shaped how, answered as which media type, and how its
// transaction ends. No database; query.ts turns a plan into SQL.
import { pgrst } from './errors.ts';
import { checkJsonDepth } from './jsonraw.ts';
import { acceptedText, negotiate, type Media } from './media-type.ts';
import { holdsJson } from '../catalog/pg-types.ts';
import type { Preferences } from './preferences.ts';
import type { CallArgs } from './request-body.ts';
import type { ApiRequest, RoutineAction } from './request.ts';
import { resolveRoutine } from './resolve.ts';
import type { Routine, SchemaCache } from './cache.ts';
import type { GatewaySettings } from './settings.ts';
import type { Condition } from './filters.ts';
import type { OrderTerm, SelectItem } from './query-string.ts';

/** `OPTIONS /rpc/<fn>`: the methods the function allows (no transaction). */
export interface InfoPlan {
  kind: 'info';
  allow: string;
}

export interface CallPlan {
  kind: 'call';
  routine: Routine;
  args: CallArgs;
  shape: Shape;
  media: Media;
  preferences: Preferences;
  /** GET/HEAD, or a function that is not VOLATILE: the transaction is READ ONLY */
  readOnly: boolean;
  /** `Prefer: max-affected` with `handling=strict`: more rows is 400 PGRST124, rolled back */
  maxAffected?: number;
  /** the transaction is rolled back (tx-end setting, or an allowed `Prefer: tx=rollback`) */
  rollback: boolean;
  /** `tx=…` as it goes into Preference-Applied, when the preference was honoured */
  txApplied?: string;
  /** the result must be checked before the transaction ends (singular with a SETOF function, max-affected) */
  postCheck: boolean;
}

/** How the call's rows are shaped (compiled into the main statement by query.ts). */
export interface Shape {
  select?: SelectItem[];
  order?: OrderTerm[];
  conditions: Condition[];
  offset: number;
  limit: number | null;
  count: boolean;
  media: Media;
}

export type PlanSettings = Pick<GatewaySettings, 'maxJsonDepth' | 'txEnd'>;

/** PostgREST's order of checks, continued after the body: function lookup, then Accept, preferences and max-affected. */
export function callPlan(req: ApiRequest, action: RoutineAction, cache: SchemaCache, s: PlanSettings): InfoPlan | CallPlan {
  const { payload } = action;
  const res = resolveRoutine(cache, req.schema, action.name, payload.keys, action.post, payload.kind);
  const r = res.routine;
  let args = payload.args;
  if (res.fallback && args.kind === 'json') args = { kind: 'json', raw: args.raw, array: false, keys: [] };
  if (action.info) return { kind: 'info', allow: r.fn.volatility === 'volatile' ? 'OPTIONS,POST' : 'OPTIONS,GET,HEAD,POST' };
  if (args.kind === 'text') {
    // query-string and form values for json/jsonb parameters: the same depth limit as JSON bodies
    for (const p of r.params) {
      if (!holdsJson(cache.catalog.types, p.typeOid)) continue;
      for (const v of args.values.get(p.name) ?? []) checkJsonDepth(v, s.maxJsonDepth, `argument ${p.name}`);
    }
  }

  const media = negotiate(req.accept, ['json', 'singular', 'csv']);
  if (!media) throw pgrst.mediaType(acceptedText(req.accept));
  const prefs = req.preferences;
  const strict = prefs.handling === 'strict';
  if (strict && prefs.invalid.length) throw pgrst.strictPrefs(prefs.invalid);
  const maxAffected = strict && prefs.maxAffected !== undefined ? prefs.maxAffected : undefined;
  if (maxAffected !== undefined && !r.returnsSet) throw pgrst.maxAffectedNotSetof();
  const { query, range } = action;
  const shape: Shape = {
    select: query.select, order: query.order, conditions: query.conditions, offset: range.offset, limit: range.limit,
    count: prefs.count === 'exact' || prefs.count === 'estimated', media,
  };

  const allowOverride = s.txEnd === 'commit-allow-override' || s.txEnd === 'rollback-allow-override';
  let rollback = s.txEnd === 'rollback' || s.txEnd === 'rollback-allow-override';
  let txApplied: string | undefined;
  if (allowOverride && prefs.tx) {
    rollback = prefs.tx === 'rollback';
    txApplied = `tx=${prefs.tx}`;
  }
  return {
    kind: 'call',
    routine: r,
    args,
    shape,
    media,
    preferences: prefs,
    readOnly: !action.post || r.fn.volatility !== 'volatile',
    maxAffected,
    rollback,
    txApplied,
    postCheck: (media.kind === 'singular' && r.returnsSet) || maxAffected !== undefined,
  };
}
