// HTTP requests for tests: `req` (fetch with a parsed body) for ordinary calls, `raw` for requests no
// HTTP client would send (any header bytes, over a bare socket when needed) with a hard timeout.
import { request } from 'node:http';
import { connect } from 'node:net';

/** fetch + parsed JSON (or text) body. */
export async function req(url: string, init: RequestInit & { json?: unknown } = {}): Promise<{ status: number; headers: Headers; body: any; text: string }> {
  const headers = new Headers(init.headers);
  let body = init.body;
  if (init.json !== undefined) {
    body = JSON.stringify(init.json);
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  }
  const res = await fetch(url, { ...init, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  if ((res.headers.get('content-type') ?? '').includes('json') && text !== '') parsed = JSON.parse(text);
  return { status: res.status, headers: res.headers, body: parsed, text };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** parsed JSON body, or undefined when the body is not JSON */
  json: unknown;
  ms: number;
}

/** One HTTP request; header values given as Buffers are written byte for byte (fetch and node:http refuse them). */
export function raw(
  baseUrl: string,
  o: { method?: string; path: string; headers?: Record<string, string | Buffer>; body?: string | Buffer; timeoutMs?: number },
): Promise<RawResponse> {
  const headers = o.headers ?? {};
  if (Object.values(headers).some((v) => Buffer.isBuffer(v))) return rawSocket(baseUrl, o);
  const u = new URL(baseUrl);
  const started = performance.now();
  const timeoutMs = o.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const body = o.body === undefined ? undefined : Buffer.isBuffer(o.body) ? o.body : Buffer.from(o.body);
    const req = request({
      host: u.hostname,
      port: Number(u.port),
      method: o.method ?? 'POST',
      path: o.path,
      headers: { ...(body ? { 'Content-Length': String(body.length) } : {}), ...(headers as Record<string, string>) },
      timeout: timeoutMs,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(finish(res.statusCode ?? 0, res.headers, Buffer.concat(chunks), started)));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`request timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

function finish(status: number, headers: Record<string, string | string[] | undefined>, buf: Buffer, started: number): RawResponse {
  const text = buf.toString('utf8');
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status, headers, text, json, ms: performance.now() - started };
}

/** HTTP/1.1 over a bare socket (Connection: close), for header bytes no HTTP client would send. */
function rawSocket(
  baseUrl: string,
  o: { method?: string; path: string; headers?: Record<string, string | Buffer>; body?: string | Buffer; timeoutMs?: number },
): Promise<RawResponse> {
  const u = new URL(baseUrl);
  const started = performance.now();
  const body = o.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(o.body) ? o.body : Buffer.from(o.body);
  const lines: Buffer[] = [Buffer.from(`${o.method ?? 'POST'} ${o.path} HTTP/1.1\r\nHost: ${u.host}\r\nConnection: close\r\nContent-Length: ${body.length}\r\n`)];
  for (const [k, v] of Object.entries(o.headers ?? {})) lines.push(Buffer.from(`${k}: `), Buffer.isBuffer(v) ? v : Buffer.from(v), Buffer.from('\r\n'));
  lines.push(Buffer.from('\r\n'), body);
  return new Promise((resolve, reject) => {
    const sock = connect({ host: u.hostname, port: Number(u.port) });
    const chunks: Buffer[] = [];
    sock.setTimeout(o.timeoutMs ?? 10_000, () => sock.destroy(new Error('request timed out')));
    sock.on('connect', () => sock.write(Buffer.concat(lines))); // no half-close: the server closes (Connection: close)
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('error', reject);
    sock.on('close', () => {
      const all = Buffer.concat(chunks);
      const sep = all.indexOf('\r\n\r\n');
      if (sep < 0) return reject(new Error(`no HTTP response: ${JSON.stringify(all.toString('latin1').slice(0, 200))}`));
      const [statusLine, ...headerLines] = all.subarray(0, sep).toString('latin1').split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of headerLines) {
        const i = l.indexOf(':');
        if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      let payload = all.subarray(sep + 4);
      if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
        const parts: Buffer[] = [];
        let rest = payload;
        for (;;) {
          const nl = rest.indexOf('\r\n');
          const size = parseInt(rest.subarray(0, nl).toString('latin1'), 16);
          if (!size) break;
          parts.push(rest.subarray(nl + 2, nl + 2 + size));
          rest = rest.subarray(nl + 2 + size + 2);
        }
        payload = Buffer.concat(parts);
      }
      resolve(finish(Number(statusLine!.split(' ')[1]), headers, payload, started));
    });
  });
}
