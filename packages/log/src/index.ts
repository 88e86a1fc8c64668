import { hostname } from 'node:os';
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/**
 * The one logger factory of Kiln: JSON lines on stderr (stdout stays free for command output), level from
 * KILN_LOG_LEVEL (default info), and on every line the `component`, `pid` and `hostname` that tell one process's
 * lines from another's in a shared stream.
 */
export function createLogger(component: string, level?: LevelWithSilent): Logger {
  const envLevel = process.env.KILN_LOG_LEVEL as LevelWithSilent | undefined;
  return pino(
    { level: level ?? envLevel ?? 'info', base: { component, pid: process.pid, hostname: hostname() } },
    pino.destination(2),
  );
}

/** A logger that drops everything (tests). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

export { LogThrottle } from './log-throttle.js';
