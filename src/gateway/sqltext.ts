// SQL text helpers. Identifiers come only from the catalog and are always quoted; values from the
// request become escaped string literals (the same escaping libpq's PQescapeLiteral performs: the
// E'' form with backslashes and quotes doubled, which means the same thing whatever
// standard_conforming_strings is). test/gateway/sqltext.test.ts checks the round trip through the
// server for arbitrary strings.
import { ApiError } from './errors.ts';

/** Quote an identifier (always, so case and odd characters survive). */
export function ident(name: string): string {
  return '"' + name.replace(/"/g, '""') + '"';
}

/** `"schema"."name"` */
export function qualified(schema: string, name: string): string {
  return ident(schema) + '.' + ident(name);
}

const NEEDS_ESCAPE = /['\\\u0000]/;

/** A string literal Postgres reads back as exactly `value`. */
export function literal(value: string): string {
  if (!NEEDS_ESCAPE.test(value)) return "'" + value + "'";
  if (value.includes('\u0000')) {
    // Postgres text cannot hold NUL; answer as the server would for such input.
    throw new ApiError(400, '22021', 'invalid byte sequence for encoding "UTF8": 0x00');
  }
  return "E'" + value.replace(/\\/g, '\\\\').replace(/'/g, "''") + "'";
}

/** A literal or NULL. */
export function literalOrNull(value: string | null | undefined): string {
  return value == null ? 'NULL' : literal(value);
}
