// GET /events: the change feed as Server-Sent Events through the gateway — authentication, membership,
// live delivery, resuming from Last-Event-ID, and never another brand's events.
import { beforeAll, describe, expect, it } from 'vitest';
import { useDoor } from '../support/doors.ts';
import { tokenFor } from '../support/httpdoor.ts';
import { must } from '../support/door.ts';
import { eventually } from '../cases/events.ts';
import { frame } from '../../src/events/sse.ts';

const t = useDoor('http');
const alice = { sub: 'sse-alice' };
const vic = { sub: 'sse-vic' };
const bob = { sub: 'sse-bob' };
let brandA: string;
let brandB: string;
let productA: string;
let productB: string;

interface Sse { id: string; event: string; data: { type: string; data: { batch_number?: string } } }

/** Open a stream and collect its events until closed. */
async function open(query: string, headers: Record<string, string> = {}) {
  const ctrl = new AbortController();
  const res = await fetch(`${t.gw.url}/events?${query}`, { headers, signal: ctrl.signal });
  const events: Sse[] = [];
  let raw = '';
  const reading = (async () => {
    if (!res.ok || !res.body) return;
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body) {
        raw += decoder.decode(chunk as Uint8Array, { stream: true });
        let i: number;
        while ((i = raw.indexOf('\n\n')) >= 0) {
          const block = raw.slice(0, i);
          raw = raw.slice(i + 2);
          const f: Record<string, string> = {};
          for (const line of block.split('\n')) {
            const m = /^(\w+): ?(.*)$/.exec(line);
            if (m) f[m[1]!] = m[2]!;
          }
          if (f.data && f.id) events.push({ id: f.id, event: f.event!, data: JSON.parse(f.data) });
        }
      }
    } catch {
      // aborted
    }
  })();
  return { res, events, close: async () => { ctrl.abort(); await reading; } };
}

const numbers = (s: { events: Sse[] }) => s.events.filter((e) => e.event === 'batch.created').map((e) => e.data.data.batch_number);

beforeAll(async () => {
  const d = t.door();
  brandA = must<{ id: string }>(await d.call(alice, 'create_brand', { _name: 'SSE A' })).id;
  brandB = must<{ id: string }>(await d.call(bob, 'create_brand', { _name: 'SSE B' })).id;
  must(await d.call(alice, 'add_brand_member', { _brand_id: brandA, _user_id: vic.sub, _role: 'viewer' }));
  productA = must<{ id: string }>(await d.call(alice, 'create_product', { _brand_id: brandA, _name: 'A' })).id;
  productB = must<{ id: string }>(await d.call(bob, 'create_product', { _brand_id: brandB, _name: 'B' })).id;
});

const batch = (who: { sub: string }, brand: string, product: string, n: string) =>
  t.door().call(who, 'create_product_batch', { _brand_id: brand, _product_id: product, _batch_number: n });

describe('GET /events', () => {
  it('refuses no token (401), a bad brand_id (400), a non-member (403), a malformed Last-Event-ID (400)', async () => {
    expect((await fetch(`${t.gw.url}/events?brand_id=${brandA}`)).status).toBe(401);
    const auth = { Authorization: `Bearer ${await tokenFor(vic)}` };
    const bad = await fetch(`${t.gw.url}/events?brand_id=nope`, { headers: auth });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: '22023' });
    const other = await fetch(`${t.gw.url}/events?brand_id=${brandB}`, { headers: auth });
    expect(other.status).toBe(403);
    expect(await other.json()).toMatchObject({ code: '42501' });
    const resume = await fetch(`${t.gw.url}/events?brand_id=${brandA}`, { headers: { ...auth, 'Last-Event-ID': 'x' } });
    expect(resume.status).toBe(400);
    const forged = await fetch(`${t.gw.url}/events?brand_id=${brandA}`, { headers: { Authorization: 'Bearer abc.def.ghi' } });
    expect(forged.status).toBe(401);
  });

  it('streams the brand\'s events live (only its own), and resumes after Last-Event-ID', async () => {
    const s = await open(`brand_id=${brandA}`, { Authorization: `Bearer ${await tokenFor(vic)}` });
    expect(s.res.status).toBe(200);
    expect(s.res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(s.res.headers.get('x-accel-buffering')).toBe('no');
    for (let i = 1; i <= 3; i++) {
      must(await batch(alice, brandA, productA, `SSE-A${i}`));
      must(await batch(bob, brandB, productB, `SSE-B${i}`));
    }
    await eventually(async () => (numbers(s).length >= 3 ? true : undefined), 30_000, 'three live events');
    expect(numbers(s)).toEqual(['SSE-A1', 'SSE-A2', 'SSE-A3']);
    expect(s.events.every((e) => /^\d+:\d+$/.test(e.id))).toBe(true);
    const afterFirst = s.events.find((e) => e.data.data.batch_number === 'SSE-A1')!.id;
    await s.close();
    // reconnect as a browser would: Last-Event-ID = the first event's id; ?access_token= works too
    must(await batch(alice, brandA, productA, 'SSE-A4'));
    const again = await open(`brand_id=${brandA}&access_token=${await tokenFor(vic)}`, { 'Last-Event-ID': afterFirst });
    expect(again.res.status).toBe(200);
    await eventually(async () => (numbers(again).includes('SSE-A4') ? true : undefined), 30_000, 'resumed');
    expect(numbers(again)).toEqual(['SSE-A2', 'SSE-A3', 'SSE-A4']);
    expect(JSON.stringify(again.events)).not.toContain(brandB);
    await again.close();
  });

  it('frames: id is the cursor, event the type, data one line of JSON', () => {
    const f = frame({ cursor: '12:3', id: 'e1', type: 'batch.created', subject: 'batch/x', occurred_at: 't', data: { note: 'a\nb' }, actor: null, request_id: null });
    expect(f).toBe('id: 12:3\nevent: batch.created\ndata: {"id":"e1","type":"batch.created","subject":"batch/x","occurred_at":"t","data":{"note":"a\\nb"},"actor":null,"request_id":null}\n\n');
  });
});

