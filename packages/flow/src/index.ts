export { Backoff, backoffDelay, type BackoffPolicy } from './backoff.js';
export { ConcurrencyLimit } from './concurrency-limit.js';
export { retry, type RetryEvent, type RetryOptions } from './retry.js';
