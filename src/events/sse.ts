// GET /events?brand_id=…: the brand's change feed as Server-Sent Events. The caller's JWT (Authorization:
// Bearer, or ?access_token= for EventSource, which cannot send headers) is checked like any request, and the
// stream polls api.list_changes as that user (role authenticated + request.jwt.claims, SET LOCAL only), so
// membership, scope and RLS decide what it shows: never another brand's events. Each event's `id:` is its
// feed cursor; a reconnect sends it back as Last-Event-ID and resumes exactly after it.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import postgres, { type Sql } from 'postgres';
import { loadEventsConfig } from './config.ts';

export interface StreamIdentity {
  role: string;
  claims: Record<string, unknown>;
}

export interface EventStreamOptions {
  /** the gateway's login role (authenticator) */
  databaseUrl: string;
  /** the gateway's JWT check; throws an error carrying its HTTP status and PostgREST body */
  authenticate(req: FastifyRequest): Promise<StreamIdentity>;
  /** sends such an error as the gateway does */
  sendError(reply: FastifyReply, e: unknown): FastifyReply;
  /** the role of requests without a token (refused here: 401) and the roles the gateway may switch to */
  anonRole: string | null;
  allowedRoles: string[];
  /** defaults: LOTLINE_SSE_POLL_MS, LOTLINE_SSE_HEARTBEAT_MS */
  pollMs?: number;
  heartbeatMs?: number;
  prepare?: boolean;
}

interface Change {
  cursor: string;
  id: string;
  type: string;
  subject: string | null;
  occurred_at: string;
  data: unknown;
  actor: string | null;
  request_id: string | null;
}

const CURSOR = /^\d{1,19}:\d{1,18}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

class StreamError extends Error {
  constructor(readonly status: number, readonly body: Record<string, unknown>) {
    super(String(body.message));
  }
}

/** One SSE frame: id = cursor, event = type, data = the event as one line of JSON. */
export function frame(c: Change): string {
  const { cursor, ...event } = c;
  return `id: ${cursor}\nevent: ${c.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

export function registerEventStream(app: FastifyInstance, opts: EventStreamOptions): void {
  const cfg = loadEventsConfig();
  const pollMs = opts.pollMs ?? cfg.LOTLINE_SSE_POLL_MS;
  const heartbeatMs = opts.heartbeatMs ?? cfg.LOTLINE_SSE_HEARTBEAT_MS;
  const sql: Sql = postgres(opts.databaseUrl, {
    max: 4, prepare: opts.prepare ?? true, onnotice: () => {}, idle_timeout: 30, connect_timeout: 10,
    connection: { application_name: 'lotline-event-stream' },
  });
  const open = new Set<() => void>();

  /** One poll as the caller: the same request settings a gateway call makes (claims, role), then list_changes. */
  async function poll(id: StreamIdentity, brand: string, after: string | null): Promise<Change[]> {
    try {
      return await sql.begin('read only', async (tx) => {
        await tx`select set_config('request.jwt.claims', ${JSON.stringify(id.claims)}, true), set_config('role', ${id.role}, true)`;
        return tx<Change[]>`select * from api.list_changes(${brand}::uuid, ${after}, 500)`;
      }) as Change[];
    } catch (e) {
      const pe = e as { code?: string; message: string; detail?: string; hint?: string };
      const status = pe.code === '42501' ? 403 : pe.code === 'PT401' ? 401 : pe.code === '22023' || pe.code === '22P02' ? 400 : 500;
      throw new StreamError(status, { code: pe.code ?? 'PGRST000', message: pe.message, details: pe.detail || null, hint: pe.hint || null });
    }
  }

  /** Where a new stream starts: after Last-Event-ID or ?after=, else at the transactions not yet finished. */
  async function startCursor(req: FastifyRequest, q: Record<string, string | undefined>): Promise<string> {
    const resume = (req.headers['last-event-id'] as string | undefined) ?? q.after;
    if (resume !== undefined && resume !== '') {
      if (!CURSOR.test(resume)) throw new StreamError(400, { code: '22023', message: 'Last-Event-ID must be a feed cursor (<xid>:<seq>)', details: '{"field":"Last-Event-ID","rule":"cursor"}', hint: null });
      return resume;
    }
    const [row] = await sql<{ c: string }[]>`select pg_snapshot_xmin(pg_current_snapshot())::text || ':0' as c`;
    return row!.c;
  }

  app.get('/events', async (req, reply) => {
    const q = req.query as Record<string, string | undefined>;
    let id: StreamIdentity;
    let cursor: string;
    let first: Change[];
    const brand = q.brand_id ?? '';
    try {
      if (!req.headers.authorization && q.access_token) req.headers.authorization = `Bearer ${q.access_token}`;
      id = await opts.authenticate(req);
      if (id.role === opts.anonRole) throw new StreamError(401, { code: 'PT401', message: 'Not authenticated', details: null, hint: 'Send a JWT (Authorization: Bearer, or access_token=)' });
      if (opts.allowedRoles.length > 0 && !opts.allowedRoles.includes(id.role)) {
        throw new StreamError(403, { code: '42501', message: `permission denied to set role "${id.role}"`, details: null, hint: null });
      }
      if (!UUID.test(brand)) throw new StreamError(400, { code: '22023', message: 'brand_id must be a brand id (uuid)', details: '{"field":"brand_id","rule":"required"}', hint: null });
      cursor = await startCursor(req, q);
      first = await poll(id, brand, cursor); // membership and scope are checked before the stream starts
    } catch (e) {
      if (e instanceof StreamError) return reply.code(e.status).type('application/json; charset=utf-8').send(JSON.stringify(e.body));
      return opts.sendError(reply, e);
    }
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
      'X-Request-Id': String(req.id),
    });
    res.write(`retry: 2000\n\n`);
    let closed = false;
    let timer: NodeJS.Timeout | null = null;
    let lastWrite = Date.now();
    const close = () => {
      if (closed) return;
      closed = true;
      if (timer) clearTimeout(timer);
      open.delete(close);
      res.end();
    };
    open.add(close);
    req.raw.on('close', close);
    const send = (changes: Change[]) => {
      if (!changes.length) return;
      res.write(changes.map(frame).join(''));
      cursor = changes[changes.length - 1]!.cursor;
      lastWrite = Date.now();
    };
    const expiresAt = typeof id.claims.exp === 'number' ? id.claims.exp * 1000 : Infinity;
    const loop = async () => {
      if (closed) return;
      if (Date.now() >= expiresAt) {
        res.write(`event: token_expired\ndata: {}\n\n`);
        return close(); // the client reconnects with a fresh token and its Last-Event-ID
      }
      try {
        let page: Change[];
        do {
          page = await poll(id, brand, cursor);
          if (closed) return;
          send(page);
        } while (page.length === 500);
      } catch {
        return close(); // e.g. membership revoked, database gone: the client reconnects and is checked again
      }
      if (Date.now() - lastWrite >= heartbeatMs) {
        res.write(`: heartbeat\n\n`);
        lastWrite = Date.now();
      }
      timer = setTimeout(() => void loop(), pollMs);
    };
    send(first);
    timer = setTimeout(() => void loop(), pollMs);
    return reply;
  });

  // streams never finish by themselves: end them when the gateway shuts down
  app.addHook('preClose', (done) => {
    for (const close of [...open]) close();
    done();
  });
  app.addHook('onClose', async () => {
    await sql.end({ timeout: 5 });
  });
}
