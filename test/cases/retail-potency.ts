// The retail batches API's potency fields ↔ lotline lab result analytes (docs/quality.md, "Mapping the
// retail API's lab fields"). Used by the quality case list to prove the round trip through record_lab_result.

/** The potency and lab fields of the retail API's ProductBatch, as its example batch carries them. */
export interface RetailPotency {
  thc: number; cbd: number; cbn: number; cbda: number; thca: number; cbg: number;
  thcName: string; cbdName: string; cbnName: string; cbdaName: string; thcaName: string; cbgName: string;
  maxThc: number; maxCbd: number; maxCbn: number; maxCbda: number; maxThca: number;
  totalCannabinoids: number; totalTerpenes: number;
  potencyAmount: {
    thc: string | number; cbd: string | number; cbn: string | number; thca: string | number; cbda: string | number; cbg: string | number;
    maxThc: number; maxCbd: number; maxCbn: number; maxThca: number; maxCbda: number;
    thcName: string; cbdName: string; cbnName: string; thcaName: string; cbdaName: string; cbgName: string;
  };
  finalTestingDate: number;
  complianceInfo: { testingLab: string };
  labResultData: Record<string, unknown>;
}

/** The example batch of the retail API's documentation (its potency and lab fields, verbatim). */
export const RETAIL_EXAMPLE: RetailPotency = {
  thc: 0, cbn: 0, cbd: 0, cbda: 0, thca: 0, cbg: 0,
  thcName: 'string', cbnName: 'string', cbdName: 'string', cbdaName: 'string', thcaName: 'string', cbgName: 'string',
  maxThc: 0, maxCbn: 0, maxCbd: 0, maxCbda: 0, maxThca: 0,
  totalTerpenes: 0, totalCannabinoids: 0,
  potencyAmount: {
    thc: 'ZERO', cbd: 'ZERO', cbn: 'ZERO', thca: 'ZERO', cbda: 'ZERO', cbg: 'ZERO',
    maxThc: 0, maxCbd: 0, maxCbn: 0, maxThca: 0, maxCbda: 0,
    thcName: 'string', cbdName: 'string', cbnName: 'string', thcaName: 'string', cbdaName: 'string', cbgName: 'string',
  },
  finalTestingDate: 1704067200000,
  complianceInfo: { testingLab: 'string' },
  labResultData: {},
};

export interface Analyte {
  name: string;
  display_name: string | null;
  value: number | null;
  max: number | null;
  unit: string | null;
  limit: number | null;
  result: 'pass' | 'fail' | null;
}

const CANNABINOIDS = ['thc', 'cbd', 'cbn', 'cbda', 'thca', 'cbg'] as const;
type Cannabinoid = (typeof CANNABINOIDS)[number];
const cap = (k: string) => k[0]!.toUpperCase() + k.slice(1);
/** The retail API writes BigDecimal zero as "ZERO". */
const num = (v: string | number): number => (v === 'ZERO' ? 0 : Number(v));

/** record_lab_result arguments for a retail batch's lab data. */
export function analytesFromRetail(b: RetailPotency): { _analytes: Partial<Analyte>[]; _lab_name: string; _tested_on: string; _data: Record<string, unknown> } {
  const maxOf = (o: Record<string, unknown>, k: Cannabinoid) => (o[`max${cap(k)}`] as number | undefined) ?? null;
  const rec = b as unknown as Record<string, unknown>;
  const amount = b.potencyAmount as unknown as Record<string, unknown>;
  return {
    _analytes: [
      ...CANNABINOIDS.map((k) => ({ name: k, display_name: rec[`${k}Name`] as string, value: rec[k] as number, max: maxOf(rec, k), unit: '%' })),
      { name: 'total_cannabinoids', value: b.totalCannabinoids, unit: '%' },
      { name: 'total_terpenes', value: b.totalTerpenes, unit: '%' },
      ...CANNABINOIDS.map((k) => ({
        name: `${k}_amount`, display_name: amount[`${k}Name`] as string, value: num(amount[k] as string | number), max: maxOf(amount, k), unit: 'mg',
      })),
    ],
    _lab_name: b.complianceInfo.testingLab,
    _tested_on: new Date(b.finalTestingDate).toISOString().slice(0, 10),
    _data: b.labResultData,
  };
}

/** The retail batch's lab fields back from a recorded result (the inverse of analytesFromRetail). */
export function retailFromResult(r: { analytes: Analyte[]; lab_name: string | null; tested_on: string | null; data: Record<string, unknown> }): RetailPotency {
  const by = new Map(r.analytes.map((a) => [a.name, a]));
  const get = (name: string) => by.get(name)!;
  const out: Record<string, unknown> = {};
  const amount: Record<string, unknown> = {};
  for (const k of CANNABINOIDS) {
    const pct = get(k);
    out[k] = pct.value;
    out[`${k}Name`] = pct.display_name;
    if (pct.max !== null) out[`max${cap(k)}`] = pct.max;
    const mg = get(`${k}_amount`);
    amount[k] = mg.value === 0 ? 'ZERO' : mg.value;
    amount[`${k}Name`] = mg.display_name;
    if (mg.max !== null) amount[`max${cap(k)}`] = mg.max;
  }
  out.totalCannabinoids = get('total_cannabinoids').value;
  out.totalTerpenes = get('total_terpenes').value;
  out.potencyAmount = amount;
  out.finalTestingDate = Date.parse(`${r.tested_on}T00:00:00Z`);
  out.complianceInfo = { testingLab: r.lab_name };
  out.labResultData = r.data;
  return out as unknown as RetailPotency;
}
