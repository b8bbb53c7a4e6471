// Prometheus metrics, one registry per gateway instance.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Semaphore } from './pool.ts';

export class GatewayMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<'function' | 'method' | 'status'>;
  readonly duration: Histogram<'function' | 'method' | 'status'>;
  readonly reloads: Counter<'outcome'>;

  constructor(sem: Semaphore, opts: { defaultMetrics?: boolean } = {}) {
    this.requests = new Counter({
      name: 'lotline_http_requests_total',
      help: 'HTTP requests by function (or endpoint), method and status',
      labelNames: ['function', 'method', 'status'],
      registers: [this.registry],
    });
    this.duration = new Histogram({
      name: 'lotline_http_request_duration_seconds',
      help: 'HTTP request latency by function (or endpoint), method and status',
      labelNames: ['function', 'method', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });
    this.reloads = new Counter({
      name: 'lotline_schema_cache_reloads_total',
      help: 'Schema cache loads by outcome',
      labelNames: ['outcome'],
      registers: [this.registry],
    });
    new Gauge({
      name: 'lotline_db_pool_size',
      help: 'Maximum connections in the pool',
      registers: [this.registry],
      collect() {
        this.set(sem.max);
      },
    });
    new Gauge({
      name: 'lotline_db_pool_in_use',
      help: 'Pool connections in use by requests',
      registers: [this.registry],
      collect() {
        this.set(sem.inUse);
      },
    });
    new Gauge({
      name: 'lotline_db_pool_waiting',
      help: 'Requests waiting for a pool connection',
      registers: [this.registry],
      collect() {
        this.set(sem.waiting);
      },
    });
    if (opts.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'lotline_' });
  }

  observe(fn: string, method: string, status: number, seconds: number): void {
    const labels = { function: fn, method, status: String(status) };
    this.requests.inc(labels);
    this.duration.observe(labels, seconds);
  }
}
