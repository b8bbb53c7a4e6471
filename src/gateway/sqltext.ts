// SQL text helpers. The gateway builds SQL only from identifiers read from the catalog (always quoted),
// a fixed vocabulary of keywords, operators and type names, and `$n` placeholders: every value that
// comes from a request travels as a bound parameter (declared `text`, cast to the catalog type in SQL).

/** Quote an identifier (always, so case and odd characters survive). */
export function ident(name: string): string {
  return '"' + name.replace(/"/g, '""') + '"';
}

/** `"schema"."name"` */
export function qualified(schema: string, name: string): string {
  return ident(schema) + '.' + ident(name);
}

/** Parameter values of one statement; `add` returns the placeholder to write into the text. */
export class Params {
  readonly values: (string | null)[] = [];
  add(value: string | null): string {
    this.values.push(value);
    return '$' + this.values.length;
  }
}

/**
 * A Postgres array literal (`{"a","b\"c"}`) holding exactly these strings: the VALUE of one parameter
 * (cast to `<type>[]` in SQL), never SQL text. Every element is quoted, so `NULL`, braces, commas and
 * spaces stay plain text.
 */
export function arrayLiteral(items: readonly string[]): string {
  return '{' + items.map((x) => '"' + x.replace(/(["\\])/g, '\\$1') + '"').join(',') + '}';
}
