// What a Postgres type is as JSON: the one classification of the catalog's types that the OpenAPI
// documents (src/gateway/openapi.ts), the generated clients (src/codegen/model.ts) and the gateway
// itself render. PostgREST (and lotline's gateway) serialise results with Postgres' own JSON functions,
// so a value is a JSON number only for int2/int4/int8/float4/float8/numeric, a boolean for bool, JSON
// for json/jsonb, an array or object for arrays and composites, and otherwise its text output.
import { resolveDomain, type PgFunction, type PgType } from './introspect.ts';

/** A string's format, when the text output has a known form. */
export type StringFormat =
  | 'uuid'
  | 'date'
  /** timestamptz: with a UTC offset */
  | 'date-time'
  /** timestamp: without one */
  | 'local-date-time'
  /** time (without time zone) */
  | 'local-time';

/** Domains are resolved to their base type; `type` is that base type. */
export type JsonType =
  | { kind: 'boolean'; type: PgType }
  | { kind: 'integer'; type: PgType; bits: 16 | 32 | 64 }
  /** numeric, float4, float8 (`type.name` tells which) */
  | { kind: 'number'; type: PgType }
  /** json, jsonb: any JSON value */
  | { kind: 'json'; type: PgType }
  | { kind: 'string'; type: PgType; format?: StringFormat }
  | { kind: 'array'; type: PgType; elemOid: number }
  | { kind: 'enum'; type: PgType }
  | { kind: 'composite'; type: PgType }
  /** pseudo-types: `void` (no value), `record` (an object of unknown shape), others (`any`: unknown) */
  | { kind: 'void' | 'record' | 'any'; type: PgType };

const BUILTIN: Record<string, (t: PgType) => JsonType> = {
  bool: (type) => ({ kind: 'boolean', type }),
  int2: (type) => ({ kind: 'integer', type, bits: 16 }),
  int4: (type) => ({ kind: 'integer', type, bits: 32 }),
  int8: (type) => ({ kind: 'integer', type, bits: 64 }),
  numeric: (type) => ({ kind: 'number', type }),
  float4: (type) => ({ kind: 'number', type }),
  float8: (type) => ({ kind: 'number', type }),
  json: (type) => ({ kind: 'json', type }),
  jsonb: (type) => ({ kind: 'json', type }),
  uuid: (type) => ({ kind: 'string', type, format: 'uuid' }),
  date: (type) => ({ kind: 'string', type, format: 'date' }),
  timestamptz: (type) => ({ kind: 'string', type, format: 'date-time' }),
  timestamp: (type) => ({ kind: 'string', type, format: 'local-date-time' }),
  time: (type) => ({ kind: 'string', type, format: 'local-time' }),
};

/** What a value of type `oid` is as JSON; undefined when the type is not in `types`. */
export function jsonType(types: Map<number, PgType>, oid: number): JsonType | undefined {
  const t = resolveDomain(types, oid);
  if (!t) return undefined;
  if (t.elemOid != null) return { kind: 'array', type: t, elemOid: t.elemOid };
  if (t.kind === 'enum') return { kind: 'enum', type: t };
  if (t.kind === 'composite') return { kind: 'composite', type: t };
  if (t.kind === 'pseudo') return { kind: t.name === 'void' ? 'void' : t.name === 'record' ? 'record' : 'any', type: t };
  const builtin = t.schema === 'pg_catalog' ? BUILTIN[t.name] : undefined;
  return builtin ? builtin(t) : { kind: 'string', type: t };
}

/** json or jsonb (a domain over one resolved to it). */
export function isJson(types: Map<number, PgType>, oid: number): boolean {
  return jsonType(types, oid)?.kind === 'json';
}

/** json or jsonb, a domain over one, or an array of either: values Postgres parses as JSON. */
export function holdsJson(types: Map<number, PgType>, oid: number): boolean {
  const j = jsonType(types, oid);
  return !!j && (j.kind === 'json' || (j.kind === 'array' && isJson(types, j.elemOid)));
}

export type UnnamedInput = 'json' | 'jsonb' | 'text' | 'xml' | 'bytea';
const UNNAMED_OK = new Set<string>(['json', 'jsonb', 'text', 'xml', 'bytea']);

/**
 * PostgREST's rule for what can be called over HTTP: every input named (''), or exactly one input,
 * unnamed, of type json/jsonb/text/xml/bytea (that type: the whole body is the argument); null: not callable.
 */
export function unnamedInput(types: Map<number, PgType>, fn: PgFunction): UnnamedInput | '' | null {
  const unnamed = fn.inputs.filter((a) => a.name === '');
  if (unnamed.length === 0) return '';
  if (fn.inputs.length !== 1) return null;
  const t = resolveDomain(types, fn.inputs[0]!.typeOid);
  return t && t.schema === 'pg_catalog' && UNNAMED_OK.has(t.name) ? (t.name as UnnamedInput) : null;
}
