// Latency summaries: percentiles over every sample (no histogram bucketing), times in milliseconds.

export interface LatencySummary {
  n: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx]!;
}

export function summarize(samples: ArrayLike<number>): LatencySummary {
  const a = Float64Array.from(samples as ArrayLike<number>).sort();
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]!;
  return {
    n: a.length,
    mean: a.length ? sum / a.length : NaN,
    p50: percentile(a, 50),
    p95: percentile(a, 95),
    p99: percentile(a, 99),
    max: a.length ? a[a.length - 1]! : NaN,
  };
}

/** Throughput run result (closed loop: each client sends its next request when the previous answered). */
export interface LoadResult extends LatencySummary {
  connections: number;
  durationSec: number;
  /** successful (2xx / committed) requests per second */
  rps: number;
  ok: number;
  failed: number;
  firstError?: string;
}

export const round = (x: number, digits = 2): number => (Number.isFinite(x) ? Number(x.toFixed(digits)) : x);

/** A deterministic PRNG (mulberry32) so the benchmark picks the same brands and products every run. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
