import type { JetStreamManager } from '@nats-io/jetstream';
import { ALERT_STREAM, GPU_STREAM } from '@kiln/nats';
import { observeAggregator, type AggregatorCounters, type WindowCounters } from './aggregator-metrics.js';
import { observeAlerter, type AlerterCounters, type AlertMutes, type AlertStates } from './alerter-metrics.js';
import { observeConsumers } from './consumer-metrics.js';
import type { Telemetry } from './telemetry.js';

/** What the metrics read of a running aggregator (AggregatorService of @kiln/aggregator). */
export interface AggregatorServiceView {
  readonly aggregator: { readonly stats: AggregatorCounters };
  readonly windows: WindowCounters;
}

/** What the metrics read of a running alerter (AlerterService of @kiln/alerter). */
export interface AlerterServiceView {
  readonly stats: AlerterCounters;
  readonly active: AlertStates;
  readonly dispatcher: AlertMutes;
}

/** The aggregator's metrics, and the lag of its partition's durable consumer on the GPU stream. */
export function observeAggregatorService(telemetry: Pick<Telemetry, 'meter'>, service: AggregatorServiceView, jsm: JetStreamManager, consumer: string): void {
  observeAggregator(telemetry.meter, service.aggregator.stats, service.windows);
  observeConsumers(telemetry.meter, jsm, [{ stream: GPU_STREAM, consumer }]);
}

/** The alerter's metrics, and the lag of its durable consumer on the alert stream. */
export function observeAlerterService(telemetry: Pick<Telemetry, 'meter'>, service: AlerterServiceView, jsm: JetStreamManager, consumer: string): void {
  observeAlerter(telemetry.meter, service.stats, service.active, service.dispatcher);
  observeConsumers(telemetry.meter, jsm, [{ stream: ALERT_STREAM, consumer }]);
}
