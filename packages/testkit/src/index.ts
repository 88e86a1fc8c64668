export * from './temp-dir.js';
export * from './nats.js';
