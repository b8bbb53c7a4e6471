// lotline's value domains (migrations/current.sql) and the zod schemas that say the same thing. The
// database's CHECK is the rule; a generated client checks it before sending, and
// test/codegen/domains.test.ts proves on generated values that zod and the database accept the same.
// A domain not listed here maps to its base type (src/codegen/model.ts).

export interface ZodDomain {
  /** the exported const in generated/zod.ts */
  name: string;
  doc: string;
  schema: string;
}

const ISO_DATE: ZodDomain = {
  name: 'isoDate',
  doc: 'data.iso_date / data.calendar_date: YYYY-MM-DD, a real calendar day, 1900-01-01..9999-12-31.',
  schema: "z.iso.date().regex(/^(?:19|[2-9]\\d)\\d{2}-/, 'a date between 1900-01-01 and 9999-12-31')",
};

/** By `schema.name` of the domain. */
export const ZOD_DOMAINS: Record<string, ZodDomain> = {
  'data.iso_date': ISO_DATE,
  'data.calendar_date': ISO_DATE,
  'data.quantity': {
    name: 'quantity',
    doc: 'data.quantity: finite, |q| < 1e15, at most 6 decimal places.',
    schema: "z.number().gt(-1e15).lt(1e15).refine((q) => decimalPlaces(q) <= 6, 'at most 6 decimal places')",
  },
};

/** The lines generated/zod.ts declares once: the helper, then each domain's const. */
export function zodDomainDeclarations(): string[] {
  const out = [
    '/** Decimal places of a number as JSON writes it (its shortest round-trip form, exponent included): what the database sees. */',
    'export const decimalPlaces = (n: number): number => {',
    "  const [mantissa = '', exponent = '0'] = String(n).split('e');",
    "  return Math.max(0, (mantissa.split('.')[1] ?? '').length - Number(exponent));",
    '};',
  ];
  const seen = new Set<string>();
  for (const d of Object.values(ZOD_DOMAINS)) {
    if (seen.has(d.name)) continue;
    seen.add(d.name);
    out.push(`/** ${d.doc} */`, `export const ${d.name} = ${d.schema};`);
  }
  return out;
}
