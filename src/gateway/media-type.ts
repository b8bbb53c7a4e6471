// Content negotiation as PostgREST does it (MediaType.decodeMediaType, Plan.Negotiate.negotiateContent,
// wai's parseHttpAccept): the Accept items ordered by q-value, then by specificity; each decoded to a
// media type; the first one a response can have wins, and names the Content-Type.

export type MediaKind = 'json' | 'singular' | 'csv' | 'openapi';

export interface Media {
  kind: MediaKind;
  /** null-valued keys are removed from the row objects */
  stripNulls: boolean;
  /** the Content-Type's media type, as PostgREST writes it (without `; charset=utf-8`) */
  mime: string;
}

/** An Accept item decoded: one of the types PostgREST knows (by its canonical text), or another one as sent. */
export interface MediaType {
  /** PostgREST's rendering of the type (its toMime), used in the 406 message */
  mime: string;
  known: 'any' | 'json' | 'array-stripped' | 'singular' | 'singular-stripped' | 'csv' | 'openapi' | null;
  /** `application/json;nulls=stripped` (an extension: PostgREST ignores the parameter there) */
  jsonStripped?: boolean;
}

/**
 * The Accept items in PostgREST's order: spaces removed, the `;q=` parameter split off (unparseable:
 * 1), then sorted by q-value and by specificity (parameters minus wildcards), both descending, keeping
 * the header's order among equals. q=0 does not exclude a type (as in PostgREST). No header: any type.
 */
export function acceptedTypes(accept: string | undefined): MediaType[] {
  if (accept === undefined) return [decode('*/*')];
  if (accept === '') return []; // nothing is acceptable: 406
  const items = accept.split(',').map((raw) => {
    const s = raw.replace(/ /g, '');
    const at = s.indexOf(';q=');
    const text = at < 0 ? s : s.slice(0, at);
    const q = at < 0 ? 1 : parseQ(s.slice(at + 3).split(';')[0]!);
    return { text, q, specificity: count(text, ';') - count(text, '*') };
  });
  items.sort((a, b) => b.q - a.q || b.specificity - a.specificity);
  return items.map((x) => decode(x.text));
}

/** The first accepted type a response of the `allowed` kinds can have; null: 406. */
export function negotiate(accepted: MediaType[], allowed: MediaKind[]): Media | null {
  for (const t of accepted) {
    const m = toMedia(t, allowed);
    if (m) return m;
  }
  return null;
}

/** `None of these media types are available: …` lists the accepted types as PostgREST renders them. */
export function acceptedText(accepted: MediaType[]): string {
  return accepted.map((t) => t.mime).join(', ');
}

function toMedia(t: MediaType, allowed: MediaKind[]): Media | null {
  const plain = (kind: MediaKind, mime: string): Media | null => (allowed.includes(kind) ? { kind, stripNulls: false, mime } : null);
  if (allowed.includes('openapi')) {
    // the root: OpenAPI, JSON or any type all mean the OpenAPI document
    return t.known === 'any' || t.known === 'json' || t.known === 'openapi' ? plain('openapi', 'application/openapi+json') : null;
  }
  switch (t.known) {
    case 'any':
      return plain('json', 'application/json');
    case 'json':
      return allowed.includes('json') ? { kind: 'json', stripNulls: !!t.jsonStripped, mime: 'application/json' } : null;
    case 'array-stripped':
      return allowed.includes('json') ? { kind: 'json', stripNulls: true, mime: t.mime } : null;
    case 'singular':
      return plain('singular', t.mime);
    case 'singular-stripped':
      return allowed.includes('singular') ? { kind: 'singular', stripNulls: true, mime: t.mime } : null;
    case 'csv':
      return plain('csv', 'text/csv');
    default:
      return null;
  }
}

const ARRAY_STRIPPED = 'application/vnd.pgrst.array+json;nulls=stripped';
const SINGULAR = 'application/vnd.pgrst.object+json';

function decode(text: string): MediaType {
  const [essence = '', ...rest] = text.split(';');
  const params = new Map<string, string>();
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq > 0) params.set(p.slice(0, eq).toLowerCase(), p.slice(eq + 1).replace(/^"|"$/g, ''));
  }
  const stripped = params.get('nulls') === 'stripped';
  switch (essence.toLowerCase()) {
    case '*/*':
      return { mime: '*/*', known: 'any' };
    case 'application/json':
      return { mime: 'application/json', known: 'json', jsonStripped: stripped };
    case 'application/vnd.pgrst.array+json':
    case 'application/vnd.pgrst.array':
      return stripped ? { mime: ARRAY_STRIPPED, known: 'array-stripped' } : { mime: 'application/json', known: 'json' };
    case 'application/vnd.pgrst.object+json':
    case 'application/vnd.pgrst.object':
      return stripped ? { mime: `${SINGULAR};nulls=stripped`, known: 'singular-stripped' } : { mime: SINGULAR, known: 'singular' };
    case 'text/csv':
      return { mime: 'text/csv', known: 'csv' };
    case 'application/openapi+json':
      return { mime: 'application/openapi+json', known: 'openapi' };
    default:
      // not served (application/*, text/plain, …): named as sent
      return { mime: text, known: null };
  }
}

/** A q-value read as PostgREST reads it (a number prefix: digits, fraction, exponent); otherwise 1. */
function parseQ(s: string): number {
  const m = /^-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?/.exec(s);
  return m ? Number(m[0]) : 1;
}

function count(s: string, ch: string): number {
  let n = 0;
  for (const c of s) if (c === ch) n++;
  return n;
}
