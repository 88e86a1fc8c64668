export * from './active-alerts.js';
export * from './api.js';
export * from './service.js';
