// Mint jobs and quotas through the SQL door, with job workers connected as the superuser (a DBA running
// `lotline worker` against the admin URL), plus what needs several connections: workers never take the same
// job at once, several workers finish one job exactly, a worker killed mid-chunk loses only that chunk, and
// parallel mints cannot overrun the quota together.
import { afterAll, describe, expect, it } from 'vitest';
import postgres from 'postgres';
import { useDoor } from '../support/doors.ts';
import { asUser } from '../support/db.ts';
import { must } from '../support/door.ts';
import { defineJobCases, JOB_SETTINGS, waitForJob, type Workers } from '../cases/jobs.ts';
import { mintJobStep, startJobWorkers, type JobWorkers } from '../../src/jobs/index.ts';

const t = useDoor('sql', {}, JOB_SETTINGS);

function workerHarness(url: () => string): Workers & { close(): Promise<void> } {
  let running: JobWorkers | undefined;
  let stepper: postgres.Sql | undefined;
  return {
    start: () => {
      running ??= startJobWorkers({ databaseUrl: url(), idleMs: 20 });
    },
    stop: async () => {
      await running?.stop();
      running = undefined;
    },
    step: async () => {
      stepper ??= postgres(url(), { max: 1, onnotice: () => {} });
      return mintJobStep(stepper);
    },
    close: async () => {
      await running?.stop();
      await stepper?.end();
    },
  };
}

const workers = workerHarness(() => t.db.adminUrl);
afterAll(() => workers.close());
defineJobCases(t.door, () => workers);

describe('workers and quotas under concurrency (SQL door)', () => {
  async function job(count: number, name: string, gtin: string) {
    const d = t.door();
    const owner = { sub: `jb-c-${name}` };
    const brand = must<{ id: string }>(await d.call(owner, 'create_brand', { _name: name })).id;
    const product = must<{ id: string }>(await d.call(owner, 'create_product', { _brand_id: brand, _name: 'P', _gtin: gtin, _serialized: true })).id;
    const batch = must<{ id: string }>(await d.call(owner, 'create_product_batch', { _brand_id: brand, _product_id: product, _batch_number: 'L' })).id;
    const r = count > 0 ? must<{ job_id: string }>(await d.call(owner, 'mint_serials', { _brand_id: brand, _batch_id: batch, _count: count })) : { job_id: '' };
    return { owner, brand, batch, job: r.job_id };
  }

  it('two workers never take the same job at once (FOR UPDATE SKIP LOCKED)', async () => {
    const a = await job(1500, 'Skip A', '96385074');
    const b = await job(1500, 'Skip B', '12345670');
    const conns = Array.from({ length: 3 }, () => postgres(t.db.adminUrl, { max: 1, onnotice: () => {} }));
    try {
      const held: { release(): void; done: Promise<unknown> }[] = [];
      const claimed: (string | null)[] = [];
      for (const c of conns) {
        let release!: () => void;
        const gate = new Promise<void>((r) => (release = r));
        let seen!: (id: string | null) => void;
        const got = new Promise<string | null>((r) => (seen = r));
        const done = c.begin(async (tx) => {
          await tx`set local role lotline_worker`;
          const [row] = await tx<{ id: string | null }[]>`select id from app.mint_job_step(400)`;
          seen(row?.id ?? null);
          await gate; // keep the transaction (and the job's row lock) open
        });
        claimed.push(await got);
        held.push({ release, done });
      }
      expect(claimed.slice(0, 2).sort()).toEqual([a.job, b.job].sort());
      expect(claimed[2]).toBeNull(); // both open jobs are taken: the third worker gets nothing, and does not wait
      held.forEach((h) => h.release());
      await Promise.all(held.map((h) => h.done));
      const rows = await t.db.admin<{ id: string; minted: number; chunks: number }[]>`select id, minted, chunks from data.mint_jobs where id in (${a.job}, ${b.job})`;
      expect(rows.map((r) => [r.minted, r.chunks])).toEqual([[400, 1], [400, 1]]);
    } finally {
      await Promise.all(conns.map((c) => c.end()));
      // finish them so later steps are not served these jobs
      workers.start();
      await waitForJob(t.door(), a.owner, a.brand, a.job);
      await waitForJob(t.door(), b.owner, b.brand, b.job);
      await workers.stop();
    }
  }, 90_000);

  it('four workers on one job mint exactly the requested serials, chunk by chunk', async () => {
    const j = await job(5000, 'Four workers', '09506000134352');
    const four = Array.from({ length: 4 }, () => startJobWorkers({ databaseUrl: t.db.adminUrl, idleMs: 5 }));
    try {
      const done = await waitForJob(t.door(), j.owner, j.brand, j.job);
      expect(done).toMatchObject({ status: 'done', minted: 5000, chunks: 13 });
    } finally {
      await Promise.all(four.map((w) => w.stop()));
    }
    const [s] = await t.db.admin<{ n: number; seqs: number; sn: number; max: string }[]>`
      select count(*)::int as n, count(distinct seq)::int as seqs, count(distinct serial_number)::int as sn, max(seq)::text as max
        from data.serials where batch_id = ${j.batch}`;
    expect(s).toEqual({ n: 5000, seqs: 5000, sn: 5000, max: '5000' });
  }, 90_000);

  it('resumable: a worker killed in the middle of a chunk loses that chunk only; another worker finishes the job', async () => {
    const j = await job(2000, 'Killed worker', '4000000000006');
    expect(await workers.step()).toMatchObject({ id: j.job, status: 'running', minted: 400 });
    // the victim worker: one simple-query message (no client-side transaction handling to trip over the kill)
    const victim = postgres(t.db.adminUrl, { max: 1, onnotice: () => {} });
    try {
      const pid = (await victim<{ pid: number }[]>`select pg_backend_pid() as pid`)[0]!.pid;
      const chunk = victim.unsafe(`begin; set local role lotline_worker; select app.mint_job_step(400); select pg_sleep(30)`)
        .then(() => null, (e: Error) => e); // queries are lazy: this sends it
      const until = Date.now() + 20_000;
      for (;;) {
        // written but not committed: the chunk's serials exist only inside the victim's transaction
        const [w] = await t.db.admin<{ sleeping: boolean }[]>`select exists (select from pg_stat_activity where pid = ${pid} and wait_event = 'PgSleep') as sleeping`;
        if (w!.sleeping) break;
        if (Date.now() > until) throw new Error('the victim worker never reached its chunk');
        await new Promise((r) => setTimeout(r, 20));
      }
      await t.db.admin`select pg_terminate_backend(${pid})`;
      expect(await chunk).toBeInstanceOf(Error);
    } finally {
      await victim.end({ timeout: 1 });
    }
    const [mid] = await t.db.admin<{ minted: number; status: string; serials: number }[]>`
      select j.minted, j.status, (select count(*)::int from data.serials s where s.batch_id = j.batch_id) as serials from data.mint_jobs j where j.id = ${j.job}`;
    expect(mid).toEqual({ minted: 400, status: 'running', serials: 400 });
    workers.start(); // "after a restart": a new worker picks the job up where it stands
    try {
      expect(await waitForJob(t.door(), j.owner, j.brand, j.job)).toMatchObject({ status: 'done', minted: 2000, chunks: 5 });
    } finally {
      await workers.stop();
    }
    const [s] = await t.db.admin<{ n: number; sn: number }[]>`select count(*)::int as n, count(distinct serial_number)::int as sn from data.serials where batch_id = ${j.batch}`;
    expect(s).toEqual({ n: 2000, sn: 2000 });
  }, 90_000);

  it('parallel mints cannot overrun the quota together: the last one to count is refused', async () => {
    const j = await job(0, 'Parallel quota', '5012345000015');
    const conns = Array.from({ length: 4 }, () => postgres(t.db.adminUrl, { max: 1, onnotice: () => {} }));
    try {
      const batches = await Promise.all(conns.map(async (_, i) =>
        must<{ id: string }>(await t.door().call(j.owner, 'create_product_batch', {
          _brand_id: j.brand, _product_id: (await t.db.admin<{ p: string }[]>`select product_id as p from data.batches where id = ${j.batch}`)[0]!.p, _batch_number: `P-${i}` })).id));
      // 4 × 6,000 = 24,000 > 20,000: each fits alone, at most three together
      const results = await Promise.allSettled(conns.map((c, i) =>
        asUser(c, j.owner, async (tx) => {
          await tx`set local lotline.mint_job_threshold = 10000`;
          return tx`select minted from api.mint_serials(${j.brand}, ${batches[i]!}, 6000)`;
        })));
      const refused = results.filter((r) => r.status === 'rejected');
      expect(refused.length).toBe(1);
      expect((refused[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'PT429' });
      const [u] = await t.db.admin<{ serials: string; minted: number }[]>`
        select (select serials::text from data.serial_usage where brand_id = ${j.brand}) as serials,
               (select count(*)::int from data.serials where brand_id = ${j.brand}) as minted`;
      expect(u).toEqual({ serials: '18000', minted: 18000 });
    } finally {
      await Promise.all(conns.map((c) => c.end()));
    }
  }, 90_000);
});
