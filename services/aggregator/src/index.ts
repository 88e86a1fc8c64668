export * from './aggregator.js';
export * from './checkpoint.js';
export * from './service.js';
export * from './store.js';
export * from './partition.js';
export * from './episode-journal.js';
