// Keeps the schema cache current: loaded at start, reloaded on NOTIFY (debounced; a NOTIFY during a load
// causes one more load), on a LISTEN reconnect and on demand. A failed load keeps the old cache; with
// none yet it is retried every second. LISTEN itself is retried until it works.
import type { Sql } from 'postgres';
import { loadSchemaCache, type SchemaCache } from './cache.ts';
import type { LogLine } from './log.ts';
import type { GatewayMetrics } from './metrics.ts';

export interface ReloadEvent {
  outcome: 'ok' | 'error';
  /** when the cache now in use was loaded (null: none loaded yet) */
  loadedAt: Date | null;
}

export interface ReloaderOptions {
  /** the direct connection the catalog is read over and LISTEN runs on */
  meta: Sql;
  schemas: string[];
  /** the NOTIFY channel; null: no LISTEN */
  channel: string | null;
  metrics: GatewayMetrics;
  log: ((line: LogLine) => void) | null;
}

export class SchemaReloader {
  cache: SchemaCache | null = null;
  private closing = false;
  private reloading: Promise<void> | null = null;
  private reloadAgain = false;
  private reloadTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private listenTimer: NodeJS.Timeout | null = null;
  private unlisten: (() => Promise<void>) | null = null;
  private readonly listeners = new Set<(event: ReloadEvent) => void>();

  constructor(private readonly o: ReloaderOptions) {}

  /** The first load (a failure is retried in the background), then LISTEN. */
  async start(): Promise<void> {
    await this.reload();
    await this.listen();
  }

  /** Load the cache now; a call during a load makes that load run once more. */
  reload(): Promise<void> {
    if (this.reloading) {
      this.reloadAgain = true;
      return this.reloading;
    }
    this.reloading = (async () => {
      do {
        this.reloadAgain = false;
        await this.loadOnce();
      } while (this.reloadAgain && !this.closing);
    })().finally(() => {
      this.reloading = null;
    });
    return this.reloading;
  }

  onReload(listener: (event: ReloadEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The database looked unreachable: LISTEN again (and reload) once it is back. */
  relisten(): void {
    if (this.listenTimer || this.closing || !this.o.channel) return;
    this.listenTimer = setTimeout(() => {
      this.listenTimer = null;
      void this.listen().then(() => this.scheduleReload());
    }, 2000);
    this.listenTimer.unref();
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const t of [this.reloadTimer, this.retryTimer, this.listenTimer]) if (t) clearTimeout(t);
    if (this.unlisten) await this.unlisten().catch(() => {});
  }

  private async loadOnce(): Promise<void> {
    let outcome: ReloadEvent['outcome'] = 'ok';
    try {
      this.cache = await loadSchemaCache(this.o.meta, this.o.schemas);
    } catch (e) {
      // best effort: the old cache keeps serving
      outcome = 'error';
      this.o.log?.({ time: new Date().toISOString(), level: 'error', msg: 'schema cache load failed', error: (e as Error).message });
      if (!this.cache && !this.closing && !this.retryTimer) {
        this.retryTimer = setTimeout(() => {
          this.retryTimer = null;
          void this.reload();
        }, 1000);
      }
    }
    this.o.metrics.reloads.inc({ outcome });
    for (const l of this.listeners) l({ outcome, loadedAt: this.cache?.loadedAt ?? null });
  }

  /** Bursts of NOTIFYs give one load, 100 ms after the last. */
  private scheduleReload(): void {
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => {
      this.reloadTimer = null;
      void this.reload();
    }, 100);
  }

  /** LISTEN on the dedicated connection; retried (with a reload) until it works, e.g. after an outage. */
  private async listen(): Promise<void> {
    const channel = this.o.channel;
    if (!channel || this.closing) return;
    try {
      if (this.unlisten) await this.unlisten().catch(() => {});
      this.unlisten = null;
      const sub = await this.o.meta.listen(channel, (payload) => {
        if (payload === '' || payload === 'reload schema') this.scheduleReload();
      }, () => {
        // (re)connected: anything may have changed while we were away
        if (this.unlisten) this.scheduleReload();
      });
      this.unlisten = sub.unlisten;
    } catch (e) {
      this.o.log?.({ time: new Date().toISOString(), level: 'warn', msg: 'LISTEN failed; retrying', error: (e as Error).message });
      this.relisten();
    }
  }
}
