export {
  basicAuthorization,
  hasBasicCredentials,
  parseBasicAuthorization,
  sameSecret,
  type BasicCredentials,
} from './basic-auth.js';
export { DEFAULT_LISTEN_HOST, httpUrl, parseListen, type ListenAddress } from './listen.js';
