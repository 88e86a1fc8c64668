export { startTelemetry, KILN_SCOPE, type Telemetry, type TelemetryOptions, type MetricsSection } from './telemetry.js';
export {
  Readiness,
  natsReadiness,
  streamsReadiness,
  clickhouseReadiness,
  type ReadinessCheck,
  type ReadinessReport,
  type CheckResult,
} from './readiness.js';
export { observeAggregator, type AggregatorCounters, type WindowCounters } from './aggregator-metrics.js';
export { observeConsumers, type ConsumerRef } from './consumer-metrics.js';
export { instrumentInserts, type SampleInserter } from './insert-instruments.js';
export { observeAlerter, type AlerterCounters, type AlertStates, type AlertMutes } from './alerter-metrics.js';
export { recordNotifications, type NotificationOutcome, type ReceiverRef } from './notification-instruments.js';
export { observeAgent, type AgentCounters } from './agent-metrics.js';
export {
  observeAggregatorService,
  observeAlerterService,
  type AggregatorServiceView,
  type AlerterServiceView,
} from './service-instruments.js';
