// A counting semaphore whose waiters give up after a timeout (504 PGRST003): how many transactions
// run at once, in total and per class of caller (pool.ts).
import { pgrst } from './errors.ts';

export class Semaphore {
  inUse = 0;
  private readonly queue: { resolve: () => void; timer: NodeJS.Timeout | null }[] = [];
  constructor(readonly max: number) {}
  get waiting(): number {
    return this.queue.length;
  }
  acquire(timeoutMs: number): Promise<void> | null {
    if (this.inUse < this.max) {
      this.inUse++;
      return null;
    }
    return new Promise<void>((resolve, reject) => {
      const entry = { resolve, timer: null as NodeJS.Timeout | null };
      if (timeoutMs > 0) {
        entry.timer = setTimeout(() => {
          const i = this.queue.indexOf(entry);
          if (i >= 0) this.queue.splice(i, 1);
          reject(pgrst.poolTimeout());
        }, timeoutMs);
      }
      this.queue.push(entry);
    });
  }
  release(): void {
    const next = this.queue.shift();
    if (next) {
      if (next.timer) clearTimeout(next.timer);
      next.resolve(); // the slot passes on
    } else {
      this.inUse--;
    }
  }
}
