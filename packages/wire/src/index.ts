export * from './catalog.js';
export * from './subjects.js';
export * from './message.js';
export * from './sample-batch.js';
