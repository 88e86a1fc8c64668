export * from './server.js';
export * from './connect.js';
export * from './streams.js';
export * from './partitions.js';
export * from './partition-leases.js';
export * from './transient.js';
export * from './coordination-bucket.js';
