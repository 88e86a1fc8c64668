export * from './gpu-registry.js';
export * from './window-core.js';
