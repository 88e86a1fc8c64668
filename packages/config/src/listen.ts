export interface ListenAddress {
  host: string;
  port: number;
}

/** Splits "host:port" (validated by the schema); an empty host means loopback, never all interfaces by accident. */
export function parseListen(listen: string): ListenAddress {
  const i = listen.lastIndexOf(':');
  const host = listen.slice(0, i) || '127.0.0.1';
  return { host: host.replace(/^\[(.*)\]$/, '$1'), port: Number(listen.slice(i + 1)) };
}
