export * from './detector.js';
export * from './gpu-labels.js';
export * from './thermal.js';
export * from './detection.js';
