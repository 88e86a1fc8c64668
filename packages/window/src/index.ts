export * from './gpu-registry.js';
export * from './window-core.js';
export * from './latest-sample.js';
export * from './window-stats.js';
