// The ARM client against hostile answers: the caller's token only ever goes to the configured
// endpoint (no nextLink, operation URL or redirect elsewhere is followed), answers are bounded in
// size and pages, and every failure is a tool error without the token in it. Real https servers on
// loopback with certificates from the test CA.
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TokenCredential } from '@azure/core-auth';
import { AzureResourceManager, PostgresToolError } from '@mcp-auth-kit/postgres-tools';
import { EntraEmulator, issueServerCertificate } from '@mcp-auth-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const TOKEN = 'eyJ.caller-token-that-must-stay-home.sig';
const credential: TokenCredential = {
  getToken: async () => ({ token: TOKEN, expiresOnTimestamp: Date.now() + 3_600_000 }),
};
const subscription = '2f1c7a52-5a0e-4d7c-9f0e-0a4b7c1d2e3f';
const at = { subscription, resourceGroup: 'rg' };

type Handler = (
  url: URL,
  method: string,
  auth: string | undefined,
) => { status: number; body?: unknown; headers?: Record<string, string>; raw?: string };
let emulator: EntraEmulator;
const servers: Server[] = [];
async function https(handler: Handler) {
  const seen: Array<{ path: string; auth: string | undefined }> = [];
  const cert = issueServerCertificate(emulator.ca);
  const server = createServer({ cert: cert.certificatePem, key: cert.privateKeyPem }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    seen.push({ path: url.pathname, auth: req.headers.authorization });
    const answer = handler(url, req.method ?? 'GET', req.headers.authorization);
    res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    res.end(answer.raw ?? JSON.stringify(answer.body ?? {}));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { origin: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}
beforeAll(async () => {
  emulator = await EntraEmulator.start(); // its CA is the one the test processes trust
});
afterAll(async () => {
  for (const s of servers) s.close();
  await emulator?.stop();
});

const arm = (endpoint: string) =>
  new AzureResourceManager({ subscriptions: [subscription], endpoint, operationTimeoutMs: 5_000 });
const failure = async (promise: Promise<unknown>) => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PostgresToolError);
  expect((error as Error).message).not.toContain(TOKEN);
  return error as PostgresToolError;
};

describe('AzureResourceManager', () => {
  it('follows nextLink on its own endpoint, never to another origin (the token stays home)', async () => {
    const elsewhere = await https(() => ({ status: 200, body: { value: [{ name: 'stolen' }] } }));
    const own = await https((url) =>
      url.searchParams.get('page') === '2'
        ? {
            status: 200,
            body: { value: [{ name: 'b', properties: {} }], nextLink: `${elsewhere.origin}/steal` },
          }
        : {
            status: 200,
            body: {
              value: [{ name: 'a', properties: {} }],
              nextLink: `${url.pathname}?page=2&api-version=x`,
            },
          },
    );
    const found = await arm(own.origin).listServers(credential, at);
    expect(found.map((s) => s.name)).toEqual(['a', 'b']);
    expect(own.seen.every((r) => r.auth === `Bearer ${TOKEN}`)).toBe(true);
    expect(elsewhere.seen).toEqual([]);
  });

  it('stops after 20 pages of an endless listing', async () => {
    const own = await https((url) => ({
      status: 200,
      body: {
        value: [{ name: 'x', properties: {} }],
        nextLink: `${url.pathname}?n=${Math.random()}&api-version=x`,
      },
    }));
    expect(await arm(own.origin).listServers(credential, at)).toHaveLength(20);
    expect(own.seen).toHaveLength(20);
  });

  it('does not follow a redirect or poll an operation on another origin', async () => {
    const elsewhere = await https(() => ({ status: 200, body: { status: 'Succeeded' } }));
    const redirecting = await https(() => ({ status: 302, headers: { location: `${elsewhere.origin}/x` } }));
    const redirect = await failure(arm(redirecting.origin).getServer(credential, at, 'pg-one'));
    expect(redirect.message).toMatch(/answered 302/);
    const accepting = await https((_url, method) =>
      method === 'PUT'
        ? { status: 202, headers: { 'azure-asyncoperation': `${elsewhere.origin}/op` } }
        : { status: 200, body: { name: 'work_mem', properties: { value: '8192' } } },
    );
    const put = await failure(
      arm(accepting.origin).setConfiguration(credential, at, 'pg-one', 'work_mem', '8192'),
    );
    expect(put.message).toMatch(/operation outside its endpoint/);
    expect(elsewhere.seen).toEqual([]);
  });

  it('refuses an answer over 4 MiB, and a failed operation says what Azure said', async () => {
    const big = await https(() => ({ status: 200, raw: `{"value":[${'{"name":"x"},'.repeat(500_000)}{}]}` }));
    expect((await failure(arm(big.origin).listServers(credential, at))).message).toMatch(/larger than 4 MiB/);
    const failing = await https((url, method) =>
      method === 'PUT'
        ? { status: 202, headers: { 'azure-asyncoperation': `/op/1?api-version=x`, 'retry-after': '0' } }
        : url.pathname.startsWith('/op/')
          ? {
              status: 200,
              body: {
                status: 'Failed',
                error: { code: 'ServerIsBusy', message: 'Another operation is in progress.' },
              },
            }
          : { status: 200, body: {} },
    );
    const failed = await failure(
      arm(failing.origin).setConfiguration(credential, at, 'pg-one', 'work_mem', '8192'),
    );
    expect(failed.code).toBe('azure_error');
    expect(failed.message).toContain('Failed: ServerIsBusy, Another operation is in progress.');
  });

  it('429 with an HTTP-date Retry-After is retryable and says when; bad names never leave the process', async () => {
    const throttled = await https(() => ({
      status: 429,
      headers: { 'retry-after': new Date(Date.now() + 30_000).toUTCString() },
      body: { error: { code: 'SubscriptionRequestsThrottled', message: 'slow down' } },
    }));
    const error = await failure(arm(throttled.origin).getServer(credential, at, 'pg-one'));
    expect(error.code).toBe('throttled');
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/SubscriptionRequestsThrottled\); retry after (29|30|31) s/);
    const before = throttled.seen.length;
    const client = arm(throttled.origin);
    expect((await failure(client.getServer(credential, at, '../../providers/x'))).code).toBe('invalid_input');
    expect(
      (await failure(client.getServer(credential, { subscription, resourceGroup: 'rg/../x' }, 'pg-one')))
        .code,
    ).toBe('invalid_input');
    expect((await failure(client.getConfiguration(credential, at, 'pg-one', 'x?y=1'))).code).toBe(
      'invalid_input',
    );
    // `..` (and `.`) as a parameter would resolve …/configurations/.. to the server itself, and a
    // PUT there would change the server: refused as a name, and never resolved as a path
    for (const param of ['..', '.', 'a..b', '.a', 'a.', 'shared_buffers/..']) {
      expect((await failure(client.getConfiguration(credential, at, 'pg-one', param))).code, param).toBe(
        'invalid_input',
      );
      expect((await failure(client.setConfiguration(credential, at, 'pg-one', param, '1'))).code, param).toBe(
        'invalid_input',
      );
    }
    for (const resourceGroup of ['..', '.', 'rg.']) {
      expect(
        (await failure(client.getServer(credential, { subscription, resourceGroup }, 'pg-one'))).code,
      ).toBe('invalid_input');
    }
    expect(
      (
        await failure(
          client.listServers(credential, {
            subscription: '00000000-0000-0000-0000-000000000001',
            resourceGroup: 'rg',
          }),
        )
      ).code,
    ).toBe('server_not_allowed');
    expect(throttled.seen.length).toBe(before);
  });

  it('connects only to Azure Database for PostgreSQL host names ARM gives, or to an operator override', () => {
    const client = new AzureResourceManager({
      subscriptions: [subscription],
      connectOverrides: { 'pg-tunnel.postgres.database.azure.com': { host: '127.0.0.1', port: 6432 } },
    });
    expect(client.connectTarget('pg.postgres.database.azure.com')).toEqual({
      host: 'pg.postgres.database.azure.com',
    });
    expect(client.connectTarget('PG-Tunnel.postgres.database.azure.com')).toEqual({
      host: '127.0.0.1',
      port: 6432,
    });
    expect(() => client.connectTarget('collector.attacker.example')).toThrow(
      /not an Azure Database for PostgreSQL host/,
    );
  });

  it('refuses a configuration without subscriptions or with a plain-http endpoint', () => {
    expect(() => new AzureResourceManager({ subscriptions: [] })).toThrow(/at least one subscription/);
    expect(() => new AzureResourceManager({ subscriptions: ['prod'] })).toThrow(/not a subscription id/);
    expect(
      () =>
        new AzureResourceManager({ subscriptions: [subscription], endpoint: 'http://management.azure.com' }),
    ).toThrow(/must be https/);
    expect(
      new AzureResourceManager({
        subscriptions: [subscription],
        endpoint: 'https://management.usgovcloudapi.net',
      }).scope,
    ).toBe('https://management.usgovcloudapi.net/.default');
  });
});
