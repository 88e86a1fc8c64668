export * from './temp-dir.js';
export * from './nats.js';
export * from './http-receiver.js';
export * from './wait.js';
export * from './process.js';
export * from './nats-cluster.js';
export * from './tcp-proxy.js';
