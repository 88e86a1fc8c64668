import { describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { httpUrl, parseListen } from '../src/index.js';

describe('parseListen', () => {
  it('reads host:port, [ipv6]:port, :port and a bare port; no host means loopback', () => {
    expect(
      ['127.0.0.1:9093', 'localhost:80', '0.0.0.0:8123', '[::1]:9464', '[::]:0', ':8123', '8123'].map(parseListen),
    ).toEqual([
      { host: '127.0.0.1', port: 9093 },
      { host: 'localhost', port: 80 },
      { host: '0.0.0.0', port: 8123 },
      { host: '::1', port: 9464 },
      { host: '::', port: 0 },
      { host: '127.0.0.1', port: 8123 },
      { host: '127.0.0.1', port: 8123 },
    ]);
  });

  it('refuses anything else, saying what it got', () => {
    for (const bad of [
      '',
      '127.0.0.1',
      '127.0.0.1:',
      '::1:9093',
      'host:65536',
      'host:port',
      'a b:1',
      '[::1]9093',
      'http://127.0.0.1:80',
    ]) {
      expect(() => parseListen(bad), bad).toThrow(/listen address must be host:port/);
    }
  });

  it('gives what node:http binds to, and the URL that reaches it', async () => {
    for (const listen of ['127.0.0.1:0', '[::1]:0']) {
      const { host, port } = parseListen(listen);
      const server = createServer((_req, res) => res.end('ok'));
      await new Promise<void>((resolve) => server.listen(port, host, resolve));
      const url = httpUrl(host, (server.address() as AddressInfo).port);
      try {
        expect(await (await fetch(url)).text()).toBe('ok');
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    }
  });
});
