export { configSchema, type InhibitRuleConfig, type KilnConfig, type RouteConfig } from './schema.js';
export { loadConfig, parseConfig, ConfigError, type ConfigCheck, type ParseOptions } from './load.js';
export { formatPath, locateProblems, problemPath, type ConfigPath } from './problem-location.js';
export { applyEnvOverrides, overrideFromEnv, type EnvOverrides } from './env.js';
export { resolveSecretFiles } from './secret-files.js';
export { buildInfo, gitRevision, UNKNOWN_REVISION, type BuildInfo } from './build-info.js';
