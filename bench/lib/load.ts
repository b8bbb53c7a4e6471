// Child process: the HTTP load generator (autocannon), kept apart from the gateway's process.
// Protocol over IPC: parent sends { type: 'run', id, spec }, child answers { type: 'result', id, result }
// or { type: 'error', id, message }. One child serves every run of a section.
import autocannon from 'autocannon';
import { exitWithParent, sendToParent } from './proc.ts';
import { summarize, type LoadResult } from './stats.ts';

export interface LoadSpec {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  /** replace `[<id>]` in the body with a fresh uuid per request (unique batch numbers for writes) */
  idReplacement?: boolean;
  connections: number;
  durationSec: number;
  warmupSec: number;
}

let current: autocannon.Instance | undefined;
exitWithParent(() => {
  current?.stop();
});

function once(spec: LoadSpec, record: boolean): Promise<{ samples: number[]; ok: number; failed: number; durationSec: number; firstError?: string }> {
  return new Promise((resolve, reject) => {
    const samples: number[] = [];
    let ok = 0;
    let failed = 0;
    let firstError: string | undefined;
    const started = performance.now();
    const inst = autocannon(
      {
        url: spec.url,
        method: spec.method,
        headers: spec.headers,
        body: spec.body,
        idReplacement: spec.idReplacement ?? false,
        connections: spec.connections,
        pipelining: 1,
        duration: record ? spec.durationSec : spec.warmupSec,
        timeout: 30,
      },
      (err) => {
        current = undefined;
        if (err) return reject(err);
        resolve({ samples, ok, failed, durationSec: (performance.now() - started) / 1000, firstError });
      },
    );
    current = inst;
    inst.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
      if (statusCode >= 200 && statusCode < 300) {
        ok++;
        if (record) samples.push(responseTime);
      } else {
        failed++;
        firstError ??= `HTTP ${statusCode}`;
      }
    });
    inst.on('reqError', (e: Error) => {
      failed++;
      firstError ??= e.message;
    });
  });
}

async function run(spec: LoadSpec): Promise<LoadResult> {
  if (spec.warmupSec > 0) await once(spec, false);
  const r = await once(spec, true);
  return {
    ...summarize(r.samples),
    connections: spec.connections,
    durationSec: r.durationSec,
    rps: r.ok / r.durationSec,
    ok: r.ok,
    failed: r.failed,
    firstError: r.firstError,
  };
}

process.on('message', (m: { type: string; id: number; spec: LoadSpec }) => {
  if (m?.type !== 'run') return;
  run(m.spec).then(
    (result) => sendToParent({ type: 'result', id: m.id, result }),
    (e: Error) => sendToParent({ type: 'error', id: m.id, message: e.stack ?? String(e) }),
  );
});
await sendToParent({ type: 'hello' });
