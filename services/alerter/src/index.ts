export * from './service.js';
export * from './history.js';
export * from './alerting-config.js';
export * from './kv-state-store.js';
export { serveApi, type AlerterApi, type ApiRoute } from './api/server.js';
export { alertmanagerConfig } from './api/status.js';
export { ConfigReloadError } from './api/reload.js';
