export { SECRET, hasSecretMark } from './secret.js';
export { durationSchema, milliseconds } from './duration.js';
export { httpUrl } from './http-url.js';
export { basicAuth, type BasicAuthConfig } from './basic-auth.js';
