import { hostname } from 'node:os';
import { trace } from '@opentelemetry/api';
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/**
 * The one logger factory of Kiln: JSON lines on stderr (stdout stays free for command output), level from
 * KILN_LOG_LEVEL (default info), and on every line the `component`, `pid` and `hostname` that tell one process's
 * lines from another's in a shared stream. A line written while an OpenTelemetry span is active (a traced insert
 * batch or notification) carries its `trace_id` and `span_id`, so a log search leads to the trace and back.
 */
export function createLogger(component: string, level?: LevelWithSilent): Logger {
  const envLevel = process.env.KILN_LOG_LEVEL as LevelWithSilent | undefined;
  return pino({ level: level ?? envLevel ?? 'info', base: { component, pid: process.pid, hostname: hostname() }, mixin: traceCorrelation }, pino.destination(2));
}

/** The active span's ids, in OpenTelemetry's log field names; nothing when no sampled span is active. */
function traceCorrelation(): Record<string, string> {
  const span = trace.getActiveSpan();
  if (span === undefined || !span.isRecording()) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}

/** A logger that drops everything (tests). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
