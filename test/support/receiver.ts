// A real webhook receiver for tests: an HTTP server on 127.0.0.1 that verifies every request with the
// standardwebhooks library (the same one the worker signs with) against the raw body, records what it
// accepted, and can be stopped and started again on the same port, or told to answer with another status.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface Receipt {
  msgId: string;
  attempt: string;
  type: string;
  cursor: string;
  body: Record<string, unknown>;
}

export interface Receiver {
  url: string;
  /** accepted (verified, answered 2xx) requests, in arrival order */
  receipts: Receipt[];
  /** requests whose signature did not verify */
  rejected: number;
  /** answer every request with this status instead (e.g. 500, 410); null = 200 */
  status: number | null;
  /** hold every request this long before answering */
  delayMs: number;
  setSecret(secret: string): void;
  stop(): Promise<void>;
  start(): Promise<void>;
}

export async function startReceiver(secret = ''): Promise<Receiver> {
  let wh = secret ? new Webhook(secret) : null;
  let server: Server | null = null;
  let port = 0;
  const r: Receiver = {
    url: '',
    receipts: [],
    rejected: 0,
    status: null,
    delayMs: 0,
    setSecret(s) {
      wh = new Webhook(s);
    },
    async start() {
      server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', async () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          if (r.delayMs) await new Promise((x) => setTimeout(x, r.delayMs));
          let body: Record<string, unknown>;
          try {
            body = wh!.verify(raw, req.headers as Record<string, string>) as Record<string, unknown>;
          } catch {
            r.rejected++;
            res.writeHead(400).end('bad signature');
            return;
          }
          if (r.status !== null) {
            res.writeHead(r.status).end('nope');
            return;
          }
          r.receipts.push({ msgId: String(req.headers['webhook-id']), attempt: String(req.headers['lotline-attempt']), type: String(body.type), cursor: String(body.cursor), body });
          res.writeHead(200).end('ok');
        });
      });
      await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
      port = (server!.address() as AddressInfo).port;
      r.url = `http://127.0.0.1:${port}/hook`;
    },
    async stop() {
      const s = server;
      server = null;
      if (!s) return;
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
  await r.start();
  return r;
}
