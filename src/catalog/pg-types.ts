// What a Postgres type is as JSON: one classification of the catalog's types, shared by the gateway
// (which values Postgres parses as JSON) and everything that describes values to clients.
import { resolveDomain, type PgType } from './introspect.ts';

/** json or jsonb (a domain over one resolved to it). */
export function isJson(types: Map<number, PgType>, oid: number): boolean {
  const t = resolveDomain(types, oid);
  return !!t && t.schema === 'pg_catalog' && (t.name === 'json' || t.name === 'jsonb');
}

/** json or jsonb, a domain over one, or an array of either: values Postgres parses as JSON. */
export function holdsJson(types: Map<number, PgType>, oid: number): boolean {
  const t = resolveDomain(types, oid);
  return !!t && isJson(types, t.elemOid ?? t.oid);
}
