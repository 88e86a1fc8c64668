import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { Logger } from '@kiln/log';
import type { Telemetry } from './telemetry.js';

/** What stores raw samples: ingest's store (IngestStore of @kiln/ingest) has this method. */
export interface SampleInserter {
  insertSamples(batch: { readonly length: number }, token: string): Promise<void>;
}

const DURATION_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const BATCH_BUCKETS = [100, 500, 1_000, 2_500, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000, 1_000_000];
const OK = { outcome: 'ok' } as const;
const ERROR = { outcome: 'error' } as const;

/**
 * `store` with each raw-sample insert measured: its size and latency (histograms, one record per insert call: per
 * batch, and per retry of a batch), failed attempts counted, and a span per insert, sampled; a sampled insert's
 * debug line carries the span's trace id. Everything else the store does passes through untouched.
 *
 * The span is not made the active context: that would switch on AsyncLocalStorage's hooks for every promise of the
 * process, a cost the hot path would pay for a handful of sampled batches.
 */
export function instrumentInserts<S extends SampleInserter>(
  store: S,
  telemetry: Pick<Telemetry, 'meter' | 'tracer'>,
  log: Logger,
): S {
  const { meter, tracer } = telemetry;
  const duration = meter.createHistogram('kiln_insert_duration_seconds', {
    description:
      'Time to insert one batch of raw samples into ClickHouse, by outcome (each retry is an attempt of its own)',
    advice: { explicitBucketBoundaries: DURATION_BUCKETS_S },
  });
  const size = meter.createHistogram('kiln_insert_batch_samples', {
    description: 'GPU-samples per inserted batch',
    advice: { explicitBucketBoundaries: BATCH_BUCKETS },
  });
  const failures = meter.createCounter('kiln_insert_failures_total', {
    description: 'Raw-sample insert attempts that failed (the batch is retried)',
  });
  // Zero from the start, so that the first failure is an increase and not the birth of a series.
  failures.add(0);
  const insert = store.insertSamples.bind(store);
  const insertSamples = async (batch: { readonly length: number }, token: string): Promise<void> => {
    const span = tracer.startSpan('kiln.insert_samples', {
      kind: SpanKind.CLIENT,
      attributes: {
        'db.system': 'clickhouse',
        'db.operation.name': 'INSERT',
        'db.collection.name': 'kiln.gpu_samples',
        'kiln.batch.token': token,
        'kiln.batch.samples': batch.length,
      },
    });
    const started = performance.now();
    try {
      await insert(batch, token);
      const seconds = (performance.now() - started) / 1000;
      duration.record(seconds, OK);
      size.record(batch.length);
      if (span.isRecording()) {
        const { traceId, spanId } = span.spanContext();
        log.debug(
          { token, samples: batch.length, ms: Math.round(seconds * 1000), trace_id: traceId, span_id: spanId },
          'samples inserted',
        );
      }
    } catch (err) {
      duration.record((performance.now() - started) / 1000, ERROR);
      failures.add(1);
      span.recordException(err instanceof Error ? err : String(err));
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw err;
    } finally {
      span.end();
    }
  };
  return Object.assign(Object.create(store) as S, { insertSamples });
}
