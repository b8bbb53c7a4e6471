// Which overload a request calls (PostgREST's rules: the argument names sent must cover the required
// parameters and name no others; a single unnamed json/text/xml/bytea parameter takes the body) and the 404/300 answers.
import { ApiError } from './errors.ts';
import { routineKey, type Routine, type SchemaCache } from './cache.ts';
import type { BodyKind } from './request-body.ts';

export interface Resolution {
  routine: Routine;
  /** the whole raw body goes to the single unnamed parameter */
  fallback: boolean;
}

const sig = (r: Routine): string => `${r.schema}.${r.name}(${r.params.map((p) => `${p.name} => ${p.type}`).join(', ')})`;

/**
 * `keys`: argument names sent (body keys for POST, argument query keys for GET).
 * `isPost` / `bodyKind`: the content type of a POST body decides the unnamed-parameter fallback.
 */
export function resolveRoutine(cache: SchemaCache, schema: string, name: string, keys: string[], isPost: boolean, bodyKind: BodyKind): Resolution {
  const overloads = cache.routines.get(routineKey(schema, name)) ?? [];
  const keySet = new Set(keys);
  const rawBody = isPost && (bodyKind === 'text' || bodyKind === 'xml' || bodyKind === 'bytea');
  const matches = rawBody ? [] : overloads.filter((r) => {
    if (r.params.length === 0) return keySet.size === 0;
    if (r.unnamedType) return false;
    const names = new Set(r.params.map((p) => p.name));
    for (const k of keySet) if (!names.has(k)) return false;
    for (const p of r.params) if (p.required && !keySet.has(p.name)) return false;
    return true;
  });
  if (matches.length === 1) return { routine: matches[0]!, fallback: false };
  if (matches.length > 1) throw ambiguous(matches);
  if (isPost) {
    const wanted = bodyKind === 'json' || bodyKind === 'none' ? ['json', 'jsonb'] : [bodyKind];
    const fallbacks = overloads.filter((r) => r.unnamedType !== null && wanted.includes(r.unnamedType));
    if (fallbacks.length === 1) return { routine: fallbacks[0]!, fallback: true };
    if (fallbacks.length > 1) throw ambiguous(fallbacks);
  }
  throw notFound(cache, schema, name, overloads, [...keySet].sort(), isPost, bodyKind);
}

function ambiguous(list: Routine[]): ApiError {
  return new ApiError(300, 'PGRST203',
    `Could not choose the best candidate function between: ${list.map(sig).join(', ')}`, null,
    'Try renaming the parameters or the function itself in the database so function overloading can be resolved');
}

function notFound(cache: SchemaCache, schema: string, name: string, overloads: Routine[], keys: string[], isPost: boolean, bodyKind: BodyKind): ApiError {
  const qn = `${schema}.${name}`;
  let message: string;
  let details: string;
  if (isPost && (bodyKind === 'text' || bodyKind === 'xml' || bodyKind === 'bytea')) {
    message = `Could not find the function ${qn} in the schema cache`;
    details = `Searched for the function ${qn} with a single unnamed ${bodyKind} parameter, but no matches were found in the schema cache.`;
    return new ApiError(404, 'PGRST202', message, details, null);
  }
  if (keys.length === 0) {
    message = `Could not find the function ${qn} without parameters in the schema cache`;
    details = `Searched for the function ${qn} without parameters`;
  } else {
    message = `Could not find the function ${qn}(${keys.join(', ')}) in the schema cache`;
    details = `Searched for the function ${qn} with parameter${keys.length === 1 ? '' : 's'} ${keys.join(', ')}`;
  }
  if (isPost && bodyKind === 'json') details += ' or with a single unnamed json/jsonb parameter';
  details += ', but no matches were found in the schema cache.';
  let hint: string | null = null;
  if (overloads.length > 0) {
    const wanted = keys.join(', ');
    let best: Routine | null = null;
    let bestScore = -1;
    for (const r of overloads) {
      const score = similarity(wanted, r.paramNames.join(', '));
      if (score > bestScore) {
        bestScore = score;
        best = r;
      }
    }
    if (best) hint = `Perhaps you meant to call the function ${qn}(${best.paramNames.join(', ')})`;
  } else {
    let bestName: string | null = null;
    let bestScore = 0;
    for (const k of cache.routines.keys()) {
      const [s, n] = k.split('\u0000') as [string, string];
      if (s !== schema) continue;
      const score = similarity(name, n);
      if (score > bestScore) {
        bestScore = score;
        bestName = n;
      }
    }
    if (bestName && bestScore >= 0.75) hint = `Perhaps you meant to call the function ${schema}.${bestName}`;
  }
  return new ApiError(404, 'PGRST202', message, details, hint);
}

/** 1 − normalised Levenshtein distance. */
export function similarity(a: string, b: string): number {
  if (a === b) return 1;
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0) return 0;
  let prev = Array.from({ length: m + 1 }, (_, j) => j);
  for (let i = 1; i <= n; i++) {
    const cur = [i];
    for (let j = 1; j <= m; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return 1 - prev[m]! / Math.max(n, m);
}
