// Child processes of the benchmark: every child runs TypeScript through tsx in its own process group,
// talks to its parent over IPC, and is killed (with its own children) whatever way the parent ends.
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

export const BENCH_DIR = resolve(import.meta.dirname, '..');

const live = new Set<ChildProcess>();
let hooked = false;

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

/** Kill every child still running (SIGKILL: used on the way out, when there is no time to wait). */
export function killAllChildrenNow(): void {
  for (const c of live) killGroup(c, 'SIGKILL');
  live.clear();
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', killAllChildrenNow);
}

export interface Child<M> {
  pid: number;
  /** Next IPC message matching the predicate (rejects when the child exits first or on timeout). */
  message<T extends M = M>(pred: (m: M) => boolean, timeoutMs: number): Promise<T>;
  /** Resolves with the exit code once the child has ended. */
  exited: Promise<number | null>;
  send(m: unknown): void;
  /** SIGTERM the group, then SIGKILL after graceMs. */
  stop(graceMs?: number): Promise<void>;
  stderrTail(): string;
}

/**
 * Run `bench/<file>` (a TypeScript module) in a child process: `node --import tsx <file>`.
 * stdout/stderr are kept (the last few KB) and optionally echoed line by line through `log`.
 */
export function spawnTs<M = unknown>(
  file: string,
  opts: { env?: NodeJS.ProcessEnv; args?: string[]; log?: (line: string) => void; label?: string; ignoreStdout?: boolean } = {},
): Child<M> {
  hookExit();
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(BENCH_DIR, file), ...(opts.args ?? [])], {
    stdio: ['ignore', opts.ignoreStdout ? 'ignore' : 'pipe', 'pipe', 'ipc'],
    detached: true,
    env: { ...process.env, ...opts.env },
  });
  live.add(child);
  let tail = '';
  const keep = (chunk: Buffer) => {
    const s = chunk.toString();
    tail = (tail + s).slice(-8000);
    if (opts.log) for (const line of s.split('\n')) if (line.trim()) opts.log(`${opts.label ?? file}: ${line}`);
  };
  child.stdout?.on('data', keep);
  child.stderr!.on('data', keep);

  const waiters = new Set<{ pred: (m: M) => boolean; resolve: (m: M) => void }>();
  child.on('message', (m: M) => {
    for (const w of waiters) {
      if (w.pred(m)) {
        waiters.delete(w);
        w.resolve(m);
        return;
      }
    }
  });
  const exited = new Promise<number | null>((res) => {
    child.on('exit', (code) => {
      live.delete(child);
      res(code);
    });
    child.on('error', () => {
      live.delete(child);
      res(-1);
    });
  });

  return {
    pid: child.pid ?? -1,
    exited,
    send(m) {
      if (child.connected) child.send(m as never);
    },
    stderrTail: () => tail,
    message<T extends M = M>(pred: (m: M) => boolean, timeoutMs: number): Promise<T> {
      return new Promise<T>((res, rej) => {
        const w = { pred, resolve: (m: M) => done(() => res(m as T)) };
        const timer = setTimeout(() => done(() => rej(new Error(`${file}: no answer within ${timeoutMs} ms\n${tail}`))), timeoutMs);
        let settled = false;
        const done = (f: () => void) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          waiters.delete(w);
          f();
        };
        waiters.add(w);
        void exited.then((code) => done(() => rej(new Error(`${file} exited (code ${code}) before answering\n${tail}`))));
      });
    },
    async stop(graceMs = 5000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      killGroup(child, 'SIGTERM');
      const t = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(t);
      // the group may still hold grandchildren that ignored SIGTERM
      killGroup(child, 'SIGKILL');
    },
  };
}

/**
 * In a child: end when the parent goes away (IPC channel closed) or on SIGTERM/SIGINT, running
 * `cleanup` first (bounded by 5 s).
 */
export function exitWithParent(cleanup: () => Promise<void> | void = () => {}): void {
  let ending = false;
  const end = (code: number) => {
    if (ending) return;
    ending = true;
    const force = setTimeout(() => process.exit(code), 5000);
    force.unref();
    Promise.resolve()
      .then(cleanup)
      .catch(() => {})
      .finally(() => process.exit(code));
  };
  process.on('disconnect', () => end(0));
  process.on('SIGTERM', () => end(0));
  process.on('SIGINT', () => end(130));
}

/** Send an IPC message to the parent and wait until it has been written. */
export function sendToParent(m: unknown): Promise<void> {
  return new Promise((res) => {
    if (!process.send || !process.connected) return res();
    process.send(m, undefined, {}, () => res());
  });
}
