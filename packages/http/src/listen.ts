export interface ListenAddress {
  /** An IP address or host name, without brackets. */
  readonly host: string;
  /** 0 asks the system for any free port. */
  readonly port: number;
}

/** Where an address without a host listens: loopback, never all interfaces by accident. */
export const DEFAULT_LISTEN_HOST = '127.0.0.1';

const LISTEN = /^(?:(?:\[([^\]]+)\]|([^:[\]\s]*)):)?(\d{1,5})$/;

/**
 * The one reading of a Kiln listen address (`alerter.listen`, `metrics.listen`, `clickhouse.listen`, `--listen`):
 * `host:port`, `[ipv6]:port`, `:port` or a bare `port`; a missing host is 127.0.0.1. The port is 0..65535. Anything
 * else throws, naming what was given.
 */
export function parseListen(listen: string): ListenAddress {
  const match = LISTEN.exec(listen);
  const port = Number(match?.[3]);
  if (match === null || port > 65_535)
    throw new Error(
      `listen address must be host:port, [ipv6]:port or a port (0..65535), got ${JSON.stringify(listen)}`,
    );
  return { host: match[1] ?? (match[2] || DEFAULT_LISTEN_HOST), port };
}

/** `http://host:port`, with brackets around an IPv6 address. */
export function httpUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
