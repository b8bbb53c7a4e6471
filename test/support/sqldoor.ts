// The SQL door for case lists: call api.<fn>(named => args) as a user, the way a DBA would in psql,
// with each value bound as a parameter and cast to the argument's catalog type.
import type { Sql } from 'postgres';
import { loadCatalog, type Catalog } from '../../src/catalog/introspect.ts';
import { asUser } from './db.ts';
import type { DoorResult, Who } from './door.ts';

const catalogs = new WeakMap<Sql, Promise<Catalog>>();

function quoteIdent(s: string): string {
  return `"${s.replaceAll('"', '""')}"`;
}

// How PostgREST hands a JSON value to a parameter: json/jsonb get the JSON text, arrays a Postgres
// array literal, everything else its text form, cast by Postgres to the declared type.
function toText(v: unknown, json: boolean): string | null {
  if (v === null || v === undefined) return null;
  if (json) return JSON.stringify(v);
  if (Array.isArray(v)) return `{${v.map((x) => (x === null ? 'NULL' : `"${String(x).replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`)).join(',')}}`;
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export async function sqlCall(sql: Sql, who: Who | null, fn: string, args: Record<string, unknown>): Promise<DoorResult> {
  let cat = catalogs.get(sql);
  if (!cat) {
    cat = loadCatalog(sql, ['api']);
    catalogs.set(sql, cat);
  }
  const catalog = await cat;
  const keys = Object.keys(args).sort();
  const f = catalog.functions.find(
    (x) => x.name === fn && keys.every((k) => x.inputs.some((a) => a.name === k)) &&
      x.inputs.every((a) => a.hasDefault || keys.includes(a.name)),
  );
  if (!f) throw new Error(`sqlCall: no api.${fn} taking (${keys.join(', ')})`);
  const params: (string | null)[] = [];
  const named = keys.map((k) => {
    const arg = f.inputs.find((a) => a.name === k)!;
    const v = args[k];
    const type = catalog.types.get(arg.typeOid)!;
    params.push(toText(v, type.name === 'json' || type.name === 'jsonb'));
    return `${quoteIdent(k)} => $${params.length}::text::${catalog.types.get(arg.typeOid)!.formatted}`;
  });
  const call = `${quoteIdent(f.schema)}.${quoteIdent(f.name)}(${named.join(', ')})`;
  const text = f.returnsVoid
    ? `select ${call} is null as v`
    : f.returnsSet
      ? `select coalesce(json_agg(t), '[]'::json) as v from ${call} t`
      : f.returnsComposite
        ? `select to_json(t) as v from ${call} t`
        : `select to_json(${call}) as v`;
  try {
    const rows = await asUser(sql, who, (tx) => tx.unsafe(text, params));
    return { ok: true, data: f.returnsVoid ? null : (rows[0] as { v: unknown } | undefined)?.v ?? null };
  } catch (e) {
    const pe = e as { code?: string; message: string; detail?: string; hint?: string };
    if (!pe.code) throw e;
    return {
      ok: false,
      data: null,
      error: { code: pe.code, message: pe.message, details: pe.detail || null, hint: pe.hint || null },
    };
  }
}
