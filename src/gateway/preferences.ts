// The Prefer header (PostgREST's preferences): parsed once per request; unknown or invalid items are
// kept so that handling=strict can refuse them (PGRST122).

export interface Preferences {
  count?: 'exact' | 'planned' | 'estimated';
  tx?: 'commit' | 'rollback';
  handling?: 'strict' | 'lenient';
  timezone?: string;
  maxAffected?: number;
  return?: string;
  resolution?: string;
  missing?: string;
  invalid: string[];
}

export function parsePreferences(headers: string | string[] | undefined): Preferences {
  const prefs: Preferences = { invalid: [] };
  if (headers === undefined) return prefs;
  const all = (Array.isArray(headers) ? headers : [headers]).flatMap((h) => h.split(',')).map((x) => x.trim()).filter(Boolean);
  const seen = new Set<string>();
  for (const item of all) {
    const eq = item.indexOf('=');
    const k = (eq < 0 ? item : item.slice(0, eq)).trim();
    const v = eq < 0 ? '' : item.slice(eq + 1).trim();
    if (seen.has(k)) continue;
    let ok = true;
    switch (k) {
      case 'count':
        if (v === 'exact' || v === 'planned' || v === 'estimated') prefs.count = v;
        else ok = false;
        break;
      case 'tx':
        if (v === 'commit' || v === 'rollback') prefs.tx = v;
        else ok = false;
        break;
      case 'handling':
        if (v === 'strict' || v === 'lenient') prefs.handling = v;
        else ok = false;
        break;
      case 'timezone':
        if (v) prefs.timezone = v;
        else ok = false;
        break;
      case 'max-affected':
        if (/^\d+$/.test(v)) prefs.maxAffected = Number(v);
        else ok = false;
        break;
      case 'return':
        if (v === 'minimal' || v === 'representation' || v === 'headers-only') prefs.return = v;
        else ok = false;
        break;
      case 'resolution':
        if (v === 'merge-duplicates' || v === 'ignore-duplicates') prefs.resolution = v;
        else ok = false;
        break;
      case 'missing':
        if (v === 'default' || v === 'null') prefs.missing = v;
        else ok = false;
        break;
      default:
        ok = false;
    }
    if (ok) seen.add(k);
    else prefs.invalid.push(item);
  }
  return prefs;
}
