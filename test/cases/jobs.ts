// One case list for large work as jobs (mint_serials above the threshold, get_mint_job, list_mint_jobs, the
// job workers) and the quotas (serials per brand and day, brands per user), run through two doors:
// test/sql/jobs.test.ts and test/http/jobs.test.ts. Their databases use small settings (JOB_SETTINGS), as
// migrate would write them from LOTLINE_MINT_JOB_THRESHOLD and friends.
import { beforeAll, describe, expect, it } from 'vitest';
import { details, expectError, must, type Door } from '../support/door.ts';
import { RANDOM_SERIAL } from './serials.ts';

export const JOB_SETTINGS = { mint_job_threshold: 1000, mint_job_chunk: 400, quota_serials_per_day: 20_000, quota_brands_per_user: 3 };

/** The job workers behind the door: running in the background, or driven one step at a time. */
export interface Workers {
  start(): void;
  stop(): Promise<void>;
  /** one step, as a worker runs it (one transaction); null when no job is open */
  step(): Promise<{ id: string; status: string; minted: number } | null>;
}

const U = {
  owner: { sub: 'jb-owner' }, // owner of J and K
  admin: { sub: 'jb-admin' }, // admin of J
  viewer: { sub: 'jb-viewer' }, // viewer of J
  stranger: { sub: 'jb-stranger' }, // member of nothing
  quota: { sub: 'jb-quota' }, // owner of Q and R
  builder: { sub: 'jb-builder' }, // creates brands up to the quota
} as const;

type Row = Record<string, unknown>;

/** Wait (with a deadline, not a fixed sleep) until a job is done or failed. */
export async function waitForJob(door: Door, who: { sub: string }, brand: string, job: string, deadlineMs = 60_000): Promise<Row> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const j = must<Row>(await door.call(who, 'get_mint_job', { _brand_id: brand, _job_id: job }));
    if (j.status === 'done' || j.status === 'failed') return j;
    if (Date.now() > until) throw new Error(`job ${job} still ${j.status} (${j.minted}/${j.requested}) after ${deadlineMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function brandWithBatch(door: Door, owner: { sub: string }, name: string, gtin: string): Promise<{ brand: string; product: string; batch: string }> {
  const brand = must<{ id: string }>(await door.call(owner, 'create_brand', { _name: name })).id;
  const product = must<{ id: string }>(await door.call(owner, 'create_product', { _brand_id: brand, _name: `${name} product`, _gtin: gtin, _serialized: true })).id;
  const batch = must<{ id: string }>(await door.call(owner, 'create_product_batch', { _brand_id: brand, _product_id: product, _batch_number: 'LOT-1' })).id;
  return { brand, product, batch };
}

export function defineJobCases(getDoor: () => Door, workers: () => Workers): void {
  let door: Door;
  let J: { brand: string; product: string; batch: string };

  beforeAll(async () => {
    door = getDoor();
    J = await brandWithBatch(door, U.owner, 'Jobs J', '4006381333931');
    must(await door.call(U.owner, 'add_brand_member', { _brand_id: J.brand, _user_id: U.admin.sub, _role: 'admin' }));
    must(await door.call(U.owner, 'add_brand_member', { _brand_id: J.brand, _user_id: U.viewer.sub, _role: 'viewer' }));
  });

  describe('mint jobs', () => {
    it('mint_serials above the threshold returns at once with a job; workers mint it in chunks, one transaction each', async () => {
      workers().start();
      try {
        const small = must<Row>(await door.call(U.admin, 'mint_serials', { _brand_id: J.brand, _batch_id: J.batch, _count: 1000 }));
        expect(small).toMatchObject({ minted: 1000, status: 'done', job_id: null });
        const r = must<Row>(await door.call(U.admin, 'mint_serials', { _brand_id: J.brand, _batch_id: J.batch, _count: 2500 }));
        expect(r).toEqual({
          brand_id: J.brand, batch_id: J.batch, minted: 0, first_seq: null, last_seq: null, first_serial_number: null, last_serial_number: null,
          job_id: expect.any(String), status: 'queued',
        });
        const job = await waitForJob(door, U.viewer, J.brand, r.job_id as string);
        expect(job).toMatchObject({
          brand_id: J.brand, id: r.job_id, batch_id: J.batch, requested: 2500, minted: 2500, status: 'done', chunks: 7,
          error_code: null, error_message: null, created_by: U.admin.sub, started_at: expect.any(String), finished_at: expect.any(String),
        });
        const serials: Row[] = [];
        for (let after = 0; ;) {
          const page = must<Row[]>(await door.call(U.viewer, 'list_batch_serials', { _brand_id: J.brand, _batch_id: J.batch, _after_seq: after, _limit: 1000 }));
          serials.push(...page);
          if (page.length < 1000) break;
          after = page[page.length - 1]!.seq as number;
        }
        expect(serials.map((s) => s.seq)).toEqual(Array.from({ length: 3500 }, (_, i) => i + 1));
        expect(new Set(serials.map((s) => s.serial_number)).size).toBe(3500);
        expect(serials.every((s) => RANDOM_SERIAL.test(s.serial_number as string) && s.created_by === U.admin.sub)).toBe(true);
        expect(must<Row[]>(await door.call(U.viewer, 'list_mint_jobs', { _brand_id: J.brand, _batch_id: J.batch })).map((j) => j.id)).toEqual([r.job_id]);
        expect(must<Row[]>(await door.call(U.viewer, 'list_mint_jobs', { _brand_id: J.brand, _status: 'queued' }))).toEqual([]);
      } finally {
        await workers().stop();
      }
    }, 90_000);

    it('reading jobs: viewer role, scope serials:read; unknown and foreign jobs are not there', async () => {
      const [job] = must<Row[]>(await door.call(U.viewer, 'list_mint_jobs', { _brand_id: J.brand }));
      expectError(await door.call(U.viewer, 'get_mint_job', { _brand_id: J.brand, _job_id: '00000000-0000-4000-8000-000000000000' }), 'PT404', 404, '_job_id');
      expectError(await door.call(U.stranger, 'get_mint_job', { _brand_id: J.brand, _job_id: job!.id }), '42501', 403);
      expectError(await door.call({ ...U.viewer, scope: 'batches:read' }, 'get_mint_job', { _brand_id: J.brand, _job_id: job!.id }), '42501', 403);
      expectError(await door.call(null, 'list_mint_jobs', { _brand_id: J.brand }), '42501', 401);
      must(await door.call({ ...U.viewer, scope: 'serials:read' }, 'get_mint_job', { _brand_id: J.brand, _job_id: job!.id }));
      for (const [k, v] of [['_limit', 0], ['_limit', 101], ['_status', 'paused']] as const) {
        expectError(await door.call(U.viewer, 'list_mint_jobs', { _brand_id: J.brand, [k]: v }), '22023', 400, k);
      }
      // a job is checked when it is queued: unknown batch, product not serialized, archived batch
      expectError(await door.call(U.admin, 'mint_serials', { _brand_id: J.brand, _batch_id: '00000000-0000-4000-8000-000000000000', _count: 5000 }), 'PT404', 404, '_batch_id');
      expectError(await door.call(U.viewer, 'mint_serials', { _brand_id: J.brand, _batch_id: J.batch, _count: 5000 }), '42501', 403);
    });

    it('a chunk that can no longer run fails the job with the reason; the serials minted before it stay', async () => {
      await workers().stop();
      const b = must<{ id: string }>(await door.call(U.owner, 'create_product_batch', { _brand_id: J.brand, _product_id: J.product, _batch_number: 'LOT-FAIL' })).id;
      const r = must<Row>(await door.call(U.admin, 'mint_serials', { _brand_id: J.brand, _batch_id: b, _count: 2000 }));
      const first = await workers().step();
      expect(first).toMatchObject({ id: r.job_id, status: 'running', minted: 400 });
      must(await door.call(U.owner, 'set_batch_status', { _brand_id: J.brand, _batch_id: b, _status: 'recalled', _reason: 'contamination' }));
      expect(await workers().step()).toMatchObject({ id: r.job_id, status: 'failed', minted: 400 });
      expect(await workers().step()).toBeNull();
      const job = must<Row>(await door.call(U.viewer, 'get_mint_job', { _brand_id: J.brand, _job_id: r.job_id }));
      expect(job).toMatchObject({ status: 'failed', minted: 400, chunks: 1, error_code: 'PT409', error_message: expect.stringContaining('recalled'), finished_at: expect.any(String) });
      expect(await door.count('serials', J.brand)).toBe(3500 + 400);
    });

    it('each chunk runs as the job\'s creator: one who lost the admin role fails the job', async () => {
      const b = must<{ id: string }>(await door.call(U.owner, 'create_product_batch', { _brand_id: J.brand, _product_id: J.product, _batch_number: 'LOT-ROLE' })).id;
      const r = must<Row>(await door.call(U.admin, 'mint_serials', { _brand_id: J.brand, _batch_id: b, _count: 1200 }));
      must(await door.call(U.owner, 'remove_brand_member', { _brand_id: J.brand, _user_id: U.admin.sub }));
      must(await door.call(U.owner, 'add_brand_member', { _brand_id: J.brand, _user_id: U.admin.sub, _role: 'viewer' }));
      try {
        expect(await workers().step()).toMatchObject({ id: r.job_id, status: 'failed', minted: 0 });
        expect(must<Row>(await door.call(U.viewer, 'get_mint_job', { _brand_id: J.brand, _job_id: r.job_id }))).toMatchObject({ error_code: '42501' });
      } finally {
        must(await door.call(U.owner, 'remove_brand_member', { _brand_id: J.brand, _user_id: U.admin.sub }));
        must(await door.call(U.owner, 'add_brand_member', { _brand_id: J.brand, _user_id: U.admin.sub, _role: 'admin' }));
      }
    });
  });

  describe('quotas', () => {
    it('serials per brand and day: mints, queued jobs and imports count; above the quota is 429 and writes nothing', async () => {
      const Q = await brandWithBatch(door, U.quota, 'Quota Q', '5901234123457');
      const R = await brandWithBatch(door, U.quota, 'Quota R', '614141000036');
      must(await door.call(U.quota, 'mint_serials', { _brand_id: Q.brand, _batch_id: Q.batch, _count: 900 }));
      const job = must<Row>(await door.call(U.quota, 'mint_serials', { _brand_id: Q.brand, _batch_id: Q.batch, _count: 15_000 }));
      expect(job.status).toBe('queued'); // counted when queued: 15,900 used
      const over = await door.call(U.quota, 'mint_serials', { _brand_id: Q.brand, _batch_id: Q.batch, _count: 4101 });
      expectError(over, 'PT429', 429, '_count');
      expect(details(over)).toMatchObject({ rule: 'quota', quota: 'serials_per_day', limit: 20_000, used: 15_900, requested: 4101, resets_at: expect.any(String) });
      expect(over.error!.hint).toMatch(/00:00 UTC/);
      const overJob = await door.call(U.quota, 'mint_serials', { _brand_id: Q.brand, _batch_id: Q.batch, _count: 5000 });
      expectError(overJob, 'PT429', 429, '_count');
      expect(must<Row[]>(await door.call(U.quota, 'list_mint_jobs', { _brand_id: Q.brand }))).toHaveLength(1);
      const imp = await door.call(U.quota, 'import_serials', { _brand_id: Q.brand, _batch_id: Q.batch, _serials: Array.from({ length: 4101 }, (_, i) => `IMP-${i}`) });
      expectError(imp, 'PT429', 429, '_serials');
      expect(await door.count('serials', Q.brand)).toBe(900);
      must(await door.call(U.quota, 'import_serials', { _brand_id: Q.brand, _batch_id: Q.batch, _serials: Array.from({ length: 4100 }, (_, i) => `IMP-${i}`) }));
      expectError(await door.call(U.quota, 'mint_serials', { _brand_id: Q.brand, _batch_id: Q.batch, _count: 1 }), 'PT429', 429, '_count');
      // another brand of the same user has its own quota
      expect(must<Row>(await door.call(U.quota, 'mint_serials', { _brand_id: R.brand, _batch_id: R.batch, _count: 900 }))).toMatchObject({ minted: 900 });
      // the queued job still runs (it was counted when queued)
      workers().start();
      try {
        expect(await waitForJob(door, U.quota, Q.brand, job.job_id as string)).toMatchObject({ status: 'done', minted: 15_000 });
      } finally {
        await workers().stop();
      }
    }, 90_000);

    it('a failed job gives its unminted serials back to the quota', async () => {
      const F = await brandWithBatch(door, U.quota, 'Quota F', '036000291452');
      const r = must<Row>(await door.call(U.quota, 'mint_serials', { _brand_id: F.brand, _batch_id: F.batch, _count: 19_000 }));
      expectError(await door.call(U.quota, 'mint_serials', { _brand_id: F.brand, _batch_id: F.batch, _count: 1001 }), 'PT429', 429, '_count');
      must(await door.call(U.quota, 'set_batch_status', { _brand_id: F.brand, _batch_id: F.batch, _status: 'archived' }));
      expect(await workers().step()).toMatchObject({ id: r.job_id, status: 'failed', minted: 0 });
      const b = must<{ id: string }>(await door.call(U.quota, 'create_product_batch', { _brand_id: F.brand, _product_id: F.product, _batch_number: 'LOT-2' })).id;
      expect(must<Row>(await door.call(U.quota, 'mint_serials', { _brand_id: F.brand, _batch_id: b, _count: 1000 }))).toMatchObject({ minted: 1000 });
    });

    it('brands per user: the next create_brand is 429; other users are not affected', async () => {
      for (let i = 1; i <= 3; i++) must(await door.call(U.builder, 'create_brand', { _name: `Builder ${i}` }));
      const r = await door.call(U.builder, 'create_brand', { _name: 'Builder 4' });
      expectError(r, 'PT429', 429);
      expect(details(r)).toMatchObject({ rule: 'quota', quota: 'brands_per_user', limit: 3, used: 3 });
      const mine = must<Row[]>(await door.call(U.builder, 'list_my_brands', {}));
      expect(mine).toHaveLength(3);
      must(await door.call(U.stranger, 'create_brand', { _name: 'Stranger 1' }));
    });
  });
}
