// One webhook attempt: POST the exact payload bytes, signed per the Standard Webhooks specification
// (webhook-id, webhook-timestamp, webhook-signature = v1,<HMAC-SHA256 of "id.timestamp.body">), with a
// timeout, no redirects followed (a 3xx is a failure) and the SSRF guard on the connection.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Webhook } from 'standardwebhooks';
import { blockedLiteral, guardedLookup } from './ssrf.ts';

export interface Attempt {
  url: string;
  secret: string;
  msgId: string;
  /** the JSON body, sent byte for byte as signed */
  payload: string;
  /** `<delivery id>:<attempt>`, sent as lotline-attempt (the signature does not cover it; it is for logs) */
  attemptId?: string;
}

export interface AttemptResult {
  /** HTTP status when a response came back */
  status: number | null;
  /** what went wrong (non-2xx text excerpt, timeout, refused address, connection error) */
  error: string | null;
  /** the receiver's Retry-After, in ms */
  retryAfterMs: number | null;
}

export interface DeliverOptions {
  timeoutMs: number;
  allowPrivate: boolean;
  userAgent?: string;
}

/** The three Standard Webhooks headers for a message sent now. */
export function signedHeaders(a: Attempt, now = new Date()): Record<string, string> {
  return {
    'webhook-id': a.msgId,
    'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
    'webhook-signature': new Webhook(a.secret).sign(a.msgId, now, a.payload),
  };
}

function retryAfter(res: IncomingMessage): number | null {
  const h = res.headers['retry-after'];
  if (!h) return null;
  if (/^\d+$/.test(h.trim())) return Number(h.trim()) * 1000;
  const at = Date.parse(h);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

export function deliver(a: Attempt, opts: DeliverOptions): Promise<AttemptResult> {
  let url: URL;
  try {
    url = new URL(a.url);
  } catch {
    return Promise.resolve({ status: null, error: 'invalid URL', retryAfterMs: null });
  }
  const literal = opts.allowPrivate ? null : blockedLiteral(url);
  if (literal) return Promise.resolve({ status: null, error: `refused: ${literal} is a private or reserved address`, retryAfterMs: null });
  const body = Buffer.from(a.payload, 'utf8');
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: AttemptResult) => {
      if (!settled) {
        settled = true;
        resolve(r);
      }
    };
    const req = request(url, {
      method: 'POST',
      lookup: guardedLookup(opts.allowPrivate) as never,
      signal: AbortSignal.timeout(opts.timeoutMs),
      headers: {
        'content-type': 'application/json',
        'content-length': String(body.length),
        'user-agent': opts.userAgent ?? 'lotline-webhooks/1',
        ...(a.attemptId ? { 'lotline-attempt': a.attemptId } : {}),
        ...signedHeaders(a),
      },
    }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size < 1024) chunks.push(c);
        size += c.length;
      });
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        const ok = status >= 200 && status < 300;
        const text = Buffer.concat(chunks).toString('utf8').slice(0, 500);
        done({ status, error: ok ? null : `HTTP ${status}${text ? `: ${text}` : ''}`, retryAfterMs: retryAfter(res) });
      });
      res.on('error', (e) => done({ status: res.statusCode ?? null, error: e.message, retryAfterMs: null }));
    });
    req.on('error', (e: Error) => {
      const timeout = e.name === 'AbortError' || e.name === 'TimeoutError';
      done({ status: null, error: timeout ? `timeout after ${opts.timeoutMs} ms` : e.message, retryAfterMs: null });
    });
    req.end(body);
  });
}
