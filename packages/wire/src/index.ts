export * from './catalog.js';
export * from './subjects.js';
export * from './message.js';
export * from './sample-batch.js';
export * from './decode-stats.js';
export * from './decode.js';
export * from './wire-schema.js';
export * from './encode.js';
