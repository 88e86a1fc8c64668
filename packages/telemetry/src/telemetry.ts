import { context, metrics, trace, type Meter, type Tracer } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import {
  defaultResource,
  detectResources,
  envDetector,
  hostDetector,
  resourceFromAttributes,
} from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader, type IMetricReader } from '@opentelemetry/sdk-metrics';
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  StackContextManager,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { buildInfo, type KilnConfig } from '@kiln/config';
import type { Logger } from '@kiln/log';
import { serveTelemetryEndpoint, type TelemetryEndpoint } from './endpoint.js';
import { observeBuildInfo } from './build-info-metric.js';
import { observeProcess } from './process-metrics.js';
import { Readiness } from './readiness.js';

/** The name of Kiln's meter and tracer (the instrumentation scope). */
export const KILN_SCOPE = 'kiln';

export type MetricsSection = KilnConfig['metrics'];

export interface TelemetryOptions {
  /** service.name of this process: kiln-up, kiln-aggregator, kiln-alerter, kiln-store, kiln-agent. */
  service: string;
  metrics: MetricsSection;
  log: Logger;
}

/** One process's telemetry: its meter and tracer, the endpoint Prometheus scrapes, and readiness. */
export interface Telemetry {
  readonly meter: Meter;
  /** Spans are recorded only with metrics.otlp_endpoint set, and then for trace_sample_ratio of the traces. */
  readonly tracer: Tracer;
  /** What /readyz answers; not ready until the service hands over its checks. */
  readonly readiness: Readiness;
  /** http://host:port of /metrics, /healthz and /readyz; undefined when metrics.listen could not be bound. */
  readonly url: string | undefined;
  /** Pushes pending metrics and finished spans over OTLP (when configured). */
  flush(): Promise<void>;
  /** Closes the endpoint, exports what is pending, and releases the process-wide OpenTelemetry registrations. */
  shutdown(): Promise<void>;
}

/**
 * Starts OpenTelemetry for one Kiln process from the SDK's parts (@opentelemetry/sdk-metrics, sdk-trace): a pull
 * reader behind the Prometheus endpoint on metrics.listen, and with metrics.otlp_endpoint set, OTLP/HTTP push of
 * metrics and sampled traces. The OTLP exporters are imported only then, and sdk-node is not used: its
 * environment-driven setup (gRPC, log and Zipkin exporters, auto-instrumentation) is code every process would load
 * and the GPU hosts' agent would install for nothing. No auto-instrumentation: Kiln's instruments read the counters
 * the services already keep (observable instruments, evaluated per collection), and histograms and spans are
 * recorded per insert batch and per notification, never per sample. One per process: a second start before
 * shutdown() is refused by the OpenTelemetry API.
 *
 * A metrics.listen that cannot be bound (another Kiln process on the same host with the default port) is logged as an
 * error and the service runs on without its endpoint: a pipeline stage never stops for its own observability.
 */
export async function startTelemetry(options: TelemetryOptions): Promise<Telemetry> {
  const { metrics: section, log } = options;
  // OpenTelemetry's own switch turns the SDK off (OTEL_SDK_DISABLED=true): instruments are no-ops, /metrics says so.
  const disabled = process.env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true';
  // The Prometheus exporter serves nothing itself: the Kiln endpoint serializes its collections next to /readyz.
  const prometheus = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true });
  const readers: IMetricReader[] = [prometheus];
  const otlp = section.otlp_endpoint?.replace(/\/+$/, '');
  let spans: BatchSpanProcessor | undefined;
  if (otlp !== undefined && !disabled) {
    const [{ OTLPMetricExporter }, { OTLPTraceExporter }] = await Promise.all([
      import('@opentelemetry/exporter-metrics-otlp-proto'),
      import('@opentelemetry/exporter-trace-otlp-proto'),
    ]);
    readers.push(
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter({ url: `${otlp}/v1/metrics` }),
        exportIntervalMillis: section.otlp_interval_ms,
        exportTimeoutMillis: Math.min(section.otlp_interval_ms, 10_000),
      }),
    );
    spans = new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${otlp}/v1/traces` }) });
  }
  // Host and OTEL_RESOURCE_ATTRIBUTES; not the process detector, whose command line would land in target_info.
  const build = buildInfo();
  const resource = defaultResource()
    .merge(detectResources({ detectors: [envDetector, hostDetector] }))
    .merge(resourceFromAttributes({ 'service.name': options.service, 'service.version': build.version }));
  const meterProvider = disabled ? undefined : new MeterProvider({ resource, readers });
  // Without an OTLP endpoint no tracer provider: the tracer is a no-op and spans cost nothing.
  const tracerProvider =
    spans &&
    new TracerProvider({
      resource,
      sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(section.trace_sample_ratio) }),
      spanProcessors: [spans],
    });
  if (meterProvider) metrics.setGlobalMeterProvider(meterProvider);
  if (tracerProvider) {
    // Kiln's spans are leaves and never the active context, so context need not follow async calls. The default
    // (AsyncLocalStorage) would switch on promise hooks for the whole process the first time an exporter sets a
    // context, a cost on every promise of the hot path; the synchronous stack costs nothing.
    context.setGlobalContextManager(new StackContextManager().enable());
    trace.setGlobalTracerProvider(tracerProvider);
  }
  const meter = metrics.getMeter(KILN_SCOPE);
  const processMetrics = observeProcess(meter);
  observeBuildInfo(meter, build);
  const readiness = new Readiness();
  let endpoint: TelemetryEndpoint | undefined;
  try {
    endpoint = await serveTelemetryEndpoint(section.listen, {
      reader: disabled ? undefined : prometheus,
      readiness,
      log,
    });
  } catch (err) {
    log.error(
      { err, listen: section.listen },
      'metrics endpoint not served: set metrics.listen (KILN_METRICS_LISTEN) to a free address for each process',
    );
  }
  return {
    meter,
    tracer: trace.getTracer(KILN_SCOPE),
    readiness,
    url: endpoint?.url,
    async flush() {
      await Promise.all([...readers.map((r) => r.forceFlush()), spans?.forceFlush()]);
    },
    async shutdown() {
      await endpoint?.close();
      processMetrics.stop();
      await Promise.all([meterProvider?.shutdown(), tracerProvider?.shutdown()]).catch((err: unknown) =>
        log.warn({ err }, 'telemetry export at shutdown failed'),
      );
      metrics.disable();
      trace.disable();
      context.disable();
    },
  };
}
