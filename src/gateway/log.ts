// The gateway's structured log: one JSON line per event, dropped below the configured level (request
// lines are 'info'), written to stdout in batches unless a logger is given.
import type { GatewaySettings, LogLevel } from './settings.ts';

export type LogLine = Record<string, unknown>;

export interface Log {
  /** null when the level is `silent` */
  write: ((line: LogLine) => void) | null;
  /** write out what is buffered (on close) */
  flush(): void;
}

const LOG_LEVELS: Record<LogLevel, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

export function createLog(s: Pick<GatewaySettings, 'logLevel' | 'logger'>): Log {
  const stdout = bufferedStdout();
  const sink = s.logger ?? ((line: LogLine) => stdout.write(JSON.stringify(line) + '\n'));
  const threshold = LOG_LEVELS[s.logLevel];
  return {
    write: s.logLevel === 'silent' ? null : (line: LogLine) => {
      if ((LOG_LEVELS[line.level as LogLevel] ?? LOG_LEVELS.info) >= threshold) sink(line);
    },
    flush: () => stdout.flush(),
  };
}

/** Log lines are collected and written once per tick: one write(2) for many requests under load. */
function bufferedStdout(): { write(line: string): void; flush(): void } {
  let buf: string[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (buf.length === 0) return;
    const out = buf.join('');
    buf = [];
    process.stdout.write(out);
  };
  return {
    write(line: string) {
      buf.push(line);
      if (buf.length >= 256) flush();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flush,
  };
}
