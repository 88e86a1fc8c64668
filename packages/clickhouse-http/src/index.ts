export {
  serveClickHouseHttp,
  type ClickHouseHttpOptions,
  type ClickHouseHttpServer,
} from './clickhouse-http-server.js';
export type { Credentials } from './credentials.js';
