// Content negotiation: the Accept header against the media types a response can have (PostgREST's
// MediaType and negotiateContent); q-values honoured, the first acceptable type wins.

export type MediaKind = 'json' | 'singular' | 'csv' | 'openapi';
export interface Media {
  kind: MediaKind;
  stripNulls: boolean;
}

/** Pick the first acceptable media type (q-values honoured); null when none. */
export function negotiate(accept: string | undefined, allowed: MediaKind[]): Media | null {
  if (!accept || accept.trim() === '') return { kind: allowed[0]!, stripNulls: false };
  const items = accept.split(',').map((raw, idx) => {
    const parts = raw.split(';').map((x) => x.trim());
    const type = (parts[0] ?? '').toLowerCase();
    const params: Record<string, string> = {};
    for (const p of parts.slice(1)) {
      const eq = p.indexOf('=');
      if (eq > 0) params[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim().replace(/^"|"$/g, '');
    }
    const q = params.q !== undefined ? Number(params.q) : 1;
    return { type, params, q: Number.isFinite(q) ? q : 0, idx };
  }).filter((x) => x.type && x.q > 0);
  items.sort((a, b) => b.q - a.q || a.idx - b.idx);
  for (const it of items) {
    const strip = it.params.nulls === 'stripped';
    let kind: MediaKind | null = null;
    switch (it.type) {
      case '*/*':
      case 'application/*':
        kind = allowed[0]!;
        break;
      case 'application/json':
        kind = allowed.includes('json') ? 'json' : allowed.includes('openapi') ? 'openapi' : null;
        break;
      case 'application/vnd.pgrst.array+json':
      case 'application/vnd.pgrst.array':
        kind = 'json';
        break;
      case 'application/vnd.pgrst.object+json':
      case 'application/vnd.pgrst.object':
        kind = 'singular';
        break;
      case 'text/csv':
        kind = 'csv';
        break;
      case 'application/openapi+json':
        kind = 'openapi';
        break;
    }
    if (kind && allowed.includes(kind)) return { kind, stripNulls: strip && (kind === 'json' || kind === 'singular') };
  }
  return null;
}
