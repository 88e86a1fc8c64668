export * from './alert.js';
export { fingerprint } from './fingerprint.js';
export * from './lifecycle.js';
export { formatRfc3339, ZERO_TIME_RFC3339 } from './time.js';

export * from './notify/notification.js';
export * from './notify/group.js';
export * from './notify/outcome.js';
export type { NotifyJob, Stage, StageContext } from './notify/stage.js';
export { Pipeline } from './notify/stage.js';
export * from './notify/notification-log.js';
export * from './notify/dedup-stage.js';
export * from './notify/retry-policy.js';
export * from './notify/retry-stage.js';
export * from './notify/record-stage.js';
export * from './notify/concurrency-limit.js';
export * from './notify/notifier.js';

export * from './receivers/receiver.js';
export { parseRetryAfter, postJson } from './receivers/http.js';
export * from './receivers/create.js';
export * from './receivers/webhook/config.js';
export * from './receivers/webhook/encode.js';
export * from './receivers/webhook/receiver.js';
export * from './receivers/pagerduty/config.js';
export * from './receivers/pagerduty/encode.js';
export * from './receivers/pagerduty/receiver.js';
