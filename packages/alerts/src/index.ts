export * from './alert.js';
export { fingerprint, hashString } from './fingerprint.js';
export * from './lifecycle.js';
export { formatRfc3339, ZERO_TIME_RFC3339 } from './time.js';
export * from './flap.js';
export * from './state-store.js';

export * from './labels/label-regex.js';
export * from './labels/matcher.js';
export * from './labels/format.js';
export * from './routing/route.js';
export * from './inhibit/inhibitor.js';
export * from './inhibit/topology-rules.js';
export * from './silence/silence.js';
export * from './silence/silences.js';

export * from './dispatch/alert-store.js';
export * from './dispatch/dispatcher.js';

export * from './notify/notification.js';
export * from './notify/outcome.js';
export * from './notify/notification-log.js';
export * from './notify/dedup.js';
export * from './notify/retry-policy.js';
export { sendWithRetries } from './notify/retry.js';
export * from './notify/rate-limit.js';
export * from './notify/notifier.js';

export * from './receivers/receiver.js';
export { parseRetryAfter, postJson } from './receivers/http.js';
export * from './receivers/common-config.js';
export * from './receivers/receiver-config.js';
export * from './receivers/create.js';
export * from './receivers/webhook/config.js';
export * from './receivers/webhook/encode.js';
export * from './receivers/webhook/receiver.js';
export * from './receivers/pagerduty/config.js';
export * from './receivers/pagerduty/encode.js';
export * from './receivers/pagerduty/receiver.js';
export * from './receivers/slack/config.js';
export * from './receivers/slack/encode.js';
export * from './receivers/slack/receiver.js';
export * from './receivers/alertmanager/config.js';
export * from './receivers/alertmanager/encode.js';
export * from './receivers/alertmanager/receiver.js';
