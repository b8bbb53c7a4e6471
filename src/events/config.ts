// Settings of the events room's TypeScript part (delivery worker, SSE), parsed once from the environment.
import { z } from 'zod';

const int = (fallback: number, min = 0) => z.coerce.number().int().min(min).default(fallback);

export const eventsConfigSchema = z.object({
  /** Run the webhook delivery worker inside `serve` (default on); `lotline worker` runs it alone. */
  LOTLINE_WEBHOOK_WORKER: z.stringbool().default(true),
  /** Idle wait between polls when there is nothing to deliver. */
  LOTLINE_WEBHOOK_POLL_MS: int(200, 10),
  /** Attempts in flight at once (one per endpoint at a time: deliveries to one endpoint stay in order). */
  LOTLINE_WEBHOOK_CONCURRENCY: int(16, 1),
  /** Timeout of one outbound request (connect + response). */
  LOTLINE_WEBHOOK_TIMEOUT_MS: int(10_000, 100),
  /** First retry delay; each further retry waits four times longer (± 20 % jitter), up to the maximum. */
  LOTLINE_WEBHOOK_RETRY_BASE_MS: int(5_000, 1),
  LOTLINE_WEBHOOK_RETRY_MAX_MS: int(24 * 3600_000, 1),
  /** Allow webhook URLs that resolve to private, loopback or link-local addresses (SSRF guard off). */
  LOTLINE_WEBHOOK_ALLOW_PRIVATE: z.stringbool().default(false),
  /** How often an open GET /events stream polls the feed, and sends a heartbeat comment. */
  LOTLINE_SSE_POLL_MS: int(500, 10),
  LOTLINE_SSE_HEARTBEAT_MS: int(15_000, 100),
});

export type EventsConfig = z.infer<typeof eventsConfigSchema>;

export function loadEventsConfig(env: NodeJS.ProcessEnv = process.env): EventsConfig {
  const parsed = eventsConfigSchema.safeParse(env);
  if (!parsed.success) {
    throw new Error(`Invalid configuration:\n${parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`);
  }
  return parsed.data;
}
