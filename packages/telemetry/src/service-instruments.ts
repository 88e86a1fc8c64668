import type { JetStreamManager } from '@nats-io/jetstream';
import { ALERT_STREAM, GPU_STREAM } from '@kiln/nats';
import { observeAggregator, type AggregatorCounters, type WindowCounters } from './aggregator-metrics.js';
import { observeAlerter, type AlerterCounters, type AlertMutes, type AlertStates } from './alerter-metrics.js';
import { observeConsumers } from './consumer-metrics.js';
import type { Telemetry } from './telemetry.js';

/** What the metrics read of a running aggregator (AggregatorService of @kiln/aggregator). */
export interface AggregatorServiceView {
  readonly stats: AggregatorCounters;
  readonly windows: WindowCounters;
  /** The durable consumers of the partitions the process serves now. */
  consumers(): readonly string[];
}

/** What the metrics read of a running alerter (AlerterService of @kiln/alerter). */
export interface AlerterServiceView {
  readonly stats: AlerterCounters;
  /** Whether it leads: only then does it hold the alerts (active) and their muting (dispatcher). */
  readonly leading: boolean;
  readonly active: AlertStates;
  readonly dispatcher: AlertMutes;
}

/** The aggregator's metrics, and the lag of the durable consumers of the partitions it serves. */
export function observeAggregatorService(
  telemetry: Pick<Telemetry, 'meter'>,
  service: AggregatorServiceView,
  jsm: JetStreamManager,
): void {
  observeAggregator(telemetry.meter, service.stats, service.windows);
  observeConsumers(telemetry.meter, jsm, () =>
    service.consumers().map((consumer) => ({ stream: GPU_STREAM, consumer })),
  );
}

/** The alerter's metrics, and the lag of its durable consumer on the alert stream. */
export function observeAlerterService(
  telemetry: Pick<Telemetry, 'meter'>,
  service: AlerterServiceView,
  jsm: JetStreamManager,
  consumer: string,
): void {
  observeAlerter(telemetry.meter, service.stats, () =>
    service.leading ? { alerts: service.active, mutes: service.dispatcher } : undefined,
  );
  const alerts = [{ stream: ALERT_STREAM, consumer }];
  observeConsumers(telemetry.meter, jsm, () => alerts);
}
