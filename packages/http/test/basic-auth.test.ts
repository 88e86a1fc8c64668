import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basicAuthorization, hasBasicCredentials, parseBasicAuthorization } from '../src/index.js';

const expected = { user: 'ops', password: 'pä:ss' };

describe('basic auth', () => {
  let server: Server;
  let url: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (hasBasicCredentials(req.headers.authorization, expected)) res.end('in');
      else res.writeHead(401, { 'www-authenticate': 'Basic realm="test"' }).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });

  afterAll(() => new Promise((resolve) => server.close(resolve)));

  const status = async (authorization?: string) =>
    (await fetch(url, authorization === undefined ? {} : { headers: { authorization } })).status;

  it('lets exactly the expected credentials in, as a client sends them', async () => {
    expect(await status(basicAuthorization(expected))).toBe(200);
    expect(await status(basicAuthorization({ user: 'ops', password: 'wrong' }))).toBe(401);
    expect(await status(basicAuthorization({ user: 'other', password: expected.password }))).toBe(401);
    expect(await status()).toBe(401);
    expect(await status('Bearer abc')).toBe(401);
  });

  it('reads the header as RFC 7617 writes it: any case of the scheme, the password after the first colon', () => {
    expect(parseBasicAuthorization(`basic ${Buffer.from('ops:a:b').toString('base64')}`)).toEqual({
      user: 'ops',
      password: 'a:b',
    });
    expect(parseBasicAuthorization(`Basic ${Buffer.from('ops').toString('base64')}`)).toEqual({
      user: 'ops',
      password: '',
    });
    expect(parseBasicAuthorization('Digest x')).toBeUndefined();
    expect(parseBasicAuthorization(undefined)).toBeUndefined();
  });
});
