export * from './capacity.js';
export * from './gpu-registry.js';
export * from './gpu-state-owner.js';
export * from './window-core.js';
export * from './window-columns.js';
export * from './window-stats.js';
export * from './event-clock.js';
export * from './partition-analysis.js';
