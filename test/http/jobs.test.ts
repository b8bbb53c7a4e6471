// Mint jobs and quotas through the HTTP door — the same cases as test/sql/jobs.test.ts, with the job workers
// connected as the gateway's login role (authenticator, which may SET ROLE lotline_worker), as `serve` runs them.
import { afterAll } from 'vitest';
import postgres from 'postgres';
import { useDoor } from '../support/doors.ts';
import { defineJobCases, JOB_SETTINGS, type Workers } from '../cases/jobs.ts';
import { mintJobStep, startJobWorkers, type JobWorkers } from '../../src/jobs/index.ts';

const t = useDoor('http', {}, JOB_SETTINGS);

let running: JobWorkers | undefined;
let stepper: postgres.Sql | undefined;
const workers: Workers = {
  start: () => {
    running ??= startJobWorkers({ databaseUrl: t.db.authenticatorUrl, idleMs: 20 });
  },
  stop: async () => {
    await running?.stop();
    running = undefined;
  },
  step: async () => {
    stepper ??= postgres(t.db.authenticatorUrl, { max: 1, prepare: false, onnotice: () => {} });
    return mintJobStep(stepper);
  },
};
afterAll(async () => {
  await running?.stop();
  await stepper?.end();
});
defineJobCases(t.door, () => workers);
