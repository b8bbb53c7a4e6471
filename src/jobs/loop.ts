// A background worker loop: runs a step again at once while it finds work, waits when idle, backs off after
// errors, and stops cleanly (the running step finishes). Shared by lotline's job workers (src/jobs/index.ts).

export interface WorkerLoopOptions {
  name: string;
  /** One unit of work, usually one database transaction. Resolves true when it did something. */
  step: () => Promise<boolean>;
  /** wait before polling again when a step found nothing to do (default 1000 ms) */
  idleMs?: number;
  /** longest wait after consecutive failed steps (doubling from 100 ms; default 30 s) */
  maxBackoffMs?: number;
  log?: (entry: Record<string, unknown>) => void;
}

export interface WorkerLoop {
  readonly name: string;
  /** steps that did work, and steps that failed, since the start */
  readonly stats: { worked: number; failed: number };
  /** cut the current wait short (e.g. when new work was queued) */
  wake(): void;
  /** stop after the running step; resolves when the loop has ended */
  stop(): Promise<void>;
}

export function startWorkerLoop(opts: WorkerLoopOptions): WorkerLoop {
  const idleMs = opts.idleMs ?? 1000;
  const maxBackoffMs = opts.maxBackoffMs ?? 30_000;
  const stats = { worked: 0, failed: 0 };
  let stopping = false;
  let wakeUp: (() => void) | undefined;
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wakeUp = undefined;
        resolve();
      }
      wakeUp = done;
    });

  const run = async () => {
    let failures = 0;
    while (!stopping) {
      try {
        const worked = await opts.step();
        failures = 0;
        if (worked) {
          stats.worked++;
          continue;
        }
        await pause(idleMs);
      } catch (e) {
        stats.failed++;
        failures++;
        const wait = Math.min(maxBackoffMs, 100 * 2 ** Math.min(failures - 1, 16));
        opts.log?.({ worker: opts.name, msg: 'step failed', error: e instanceof Error ? e.message : String(e), retryInMs: wait });
        await pause(wait);
      }
    }
  };
  const done = run();
  return {
    name: opts.name,
    stats,
    wake: () => wakeUp?.(),
    stop: async () => {
      stopping = true;
      wakeUp?.();
      await done;
    },
  };
}
