// The façade on two replicas sharing Redis: any replica serves any step of a sign-in, and a
// replica that restarts (a new process: new memory, the same keys) loses nothing.
import { createHash, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { OAuthProxy, RedisFacadeStore } from '@mcp-auth-kit/oauth-proxy';
import { findRedisServer, freePort, startRedisServer, type TestRedis } from '@mcp-auth-kit/testing';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorld, type World } from './world.js';

const found = findRedisServer();
const available = 'path' in found;

if (!available && process.env.CI !== 'true') {
  describe('the façade on replicas sharing Redis', () => {
    it.skip(`skipped: ${'reason' in found ? found.reason : ''}`, () => {});
  });
} else {
  let world: World;
  let redis: TestRedis;
  const clients: Array<ReturnType<typeof createClient>> = [];
  beforeAll(async () => {
    if (!available)
      throw new Error(`CI must run the façade replica tests: ${'reason' in found ? found.reason : ''}`);
    world = await startWorld();
    redis = await startRedisServer();
  }, 120_000);
  afterAll(async () => {
    for (const c of clients) await c.quit().catch(() => {});
    await redis?.stop();
    await world?.stop();
  });

  describe('the façade on replicas sharing Redis', () => {
    it('authorize on A, consent on B, callback on A, code on B, refresh on a restarted A, query on B as alice', async () => {
      const portA = await freePort();
      const portB = await freePort();
      // one public URL (the load balancer's): here replica A's; B serves the same issuer
      const issuer = `http://127.0.0.1:${portA}`;
      const resource = `${issuer}/mcp`;
      const apiClientId = randomUUID();
      const secret = `secret-${randomUUID()}`;
      world.emulator.registerApp({
        clientId: apiClientId,
        secret,
        identifierUris: [resource],
        exposedScopes: ['mcp.tools'],
        redirectUris: [`${issuer}/oauth/callback`],
      });
      const signingKeyPem = generateKeyPairSync('ec', { namedCurve: 'P-256' })
        .privateKey.export({ type: 'pkcs8', format: 'pem' })
        .toString();
      const encryptionKey = randomBytes(32);
      const replica = async () => {
        const client = createClient({ url: redis.url });
        clients.push(client);
        await client.connect();
        return new OAuthProxy({
          issuer,
          resource,
          devMode: true,
          signingKeyPem,
          encryptionKey,
          // the replay below comes seconds after the rotation: no grace window for parallel refreshes
          refreshReuseGraceSeconds: 0,
          store: new RedisFacadeStore(client as never),
          upstream: {
            instance: world.emulator.instance,
            tenantId: world.emulator.tenantId,
            clientId: apiClientId,
            scopes: [`${resource}/mcp.tools`],
            credential: { clientSecret: secret },
          },
          logger: { info() {}, warn() {} },
        });
      };
      const config = {
        inboundAuthentication: {
          type: 'JwtBearerScheme',
          azureAd: {
            instance: world.emulator.instance,
            tenantId: world.emulator.tenantId,
            clientId: apiClientId,
            requiredScopes: ['mcp.tools'],
          },
        },
        outboundAuthentication: { type: 'JwtObo', clientCredential: { kind: 'ClientSecret', secret } },
      };
      const a = await world.server(config, { port: portA, authorizationServer: await replica() });
      const b = await world.server(config, { port: portB, authorizationServer: await replica() });
      const on = (server: { mcpUrl: string }, path: string) => new URL(path, server.mcpUrl).href;

      // register on B, authorize on A
      const reg = (await (
        await fetch(on(b, '/oauth/register'), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            redirect_uris: ['http://127.0.0.1:9999/cb'],
            token_endpoint_auth_method: 'none',
          }),
        })
      ).json()) as { client_id: string };
      const verifier = randomBytes(32).toString('base64url');
      const authorize = new URL(on(a, '/oauth/authorize'));
      for (const [k, v] of Object.entries({
        client_id: reg.client_id,
        response_type: 'code',
        redirect_uri: 'http://127.0.0.1:9999/cb',
        code_challenge: createHash('sha256').update(verifier).digest('base64url'),
        code_challenge_method: 'S256',
        state: 's',
        login_hint: 'alice@contoso.com',
      }))
        authorize.searchParams.set(k, v);
      const consentPage = await fetch(authorize);
      const cookie = consentPage.headers.getSetCookie()[0]!.split(';')[0]!;
      const html = await consentPage.text();
      const field = (name: string) => new RegExp(`name="${name}" value="([^"]+)"`).exec(html)![1]!;
      // consent on B
      const upstream = await fetch(on(b, '/oauth/consent'), {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
        body: new URLSearchParams({
          transaction: field('transaction'),
          csrf: field('csrf'),
          decision: 'allow',
        }),
      });
      expect(upstream.status).toBe(302);
      // Entra ID signs alice in (login_hint passed on) and comes back to the public callback (A)
      const entra = await fetch(upstream.headers.get('location')!, { redirect: 'manual' });
      // back in the browser that consented (its binding cookie), on A
      const callback = await fetch(entra.headers.get('location')!, {
        redirect: 'manual',
        headers: { cookie },
      });
      const back = new URL(callback.headers.get('location')!);
      expect(back.searchParams.get('state')).toBe('s');
      // the code on B
      const token = (path: string, params: Record<string, string>) =>
        fetch(path, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams(params),
        });
      const first = (await (
        await token(on(b, '/oauth/token'), {
          grant_type: 'authorization_code',
          client_id: reg.client_id,
          code: back.searchParams.get('code')!,
          code_verifier: verifier,
          redirect_uri: 'http://127.0.0.1:9999/cb',
        })
      ).json()) as { refresh_token: string; access_token: string };
      expect(first.access_token).toBeTruthy();

      // A restarts: a new process has nothing in memory, the same keys, the same Redis
      await a.close();
      const a2 = await world.server(config, { port: portA, authorizationServer: await replica() });
      const refreshed = (await (
        await token(on(a2, '/oauth/token'), {
          grant_type: 'refresh_token',
          client_id: reg.client_id,
          refresh_token: first.refresh_token,
        })
      ).json()) as { access_token: string };
      expect(refreshed.access_token).toBeTruthy();
      // a token from A2, a query on B: On-Behalf-Of with alice's upstream token from Redis
      const onB = await world.clientV2(b.mcpUrl, refreshed.access_token);
      const ask = () =>
        onB.callTool({
          name: 'postgres_database_query',
          arguments: { server: 'local', database: 'demo', query: 'SELECT current_user AS u' },
        }) as Promise<{
          isError?: boolean;
          content: Array<{ text: string }>;
          structuredContent?: { rows: unknown[] };
        }>;
      expect((await ask()).structuredContent?.rows).toEqual([['alice@contoso.com']]);

      // the rotated token replayed on B: refused, and the sign-in is revoked on every replica
      const reused = await token(on(b, '/oauth/token'), {
        grant_type: 'refresh_token',
        client_id: reg.client_id,
        refresh_token: first.refresh_token,
      });
      expect(reused.status).toBe(400);
      // its access tokens end at once too, on every replica: 401 at the door
      await expect(ask()).rejects.toThrow(/the sign-in was revoked/);
    });

    it('in Redis each record kind has its own quota: a flood of pending authorizations is refused (503) at its quota and evicts no sign-in; a Redis that may evict is refused at start-up', async () => {
      const client = createClient({ url: redis.url });
      clients.push(client);
      await client.connect();
      const keyPrefix = `quota-${randomUUID()}:`;
      const store = new RedisFacadeStore(client as never, { keyPrefix, quotas: { pending: 50 } });
      await store.set('grant', 'alice', 'sealed-grant', 60_000);
      let refused = 0;
      for (let i = 0; i < 80; i++) {
        try {
          await store.set('pending', `p${i}`, 'sealed-pending', 60_000);
        } catch (error) {
          expect(error).toMatchObject({ code: 'store_quota_full', retryable: true });
          refused++;
        }
      }
      expect(refused).toBe(30);
      expect(await store.get('grant', 'alice')).toBe('sealed-grant');
      expect(await store.get('pending', 'p0')).toBe('sealed-pending');
      // a taken record frees its place at once
      expect(await store.take('pending', 'p0')).toBe('sealed-pending');
      await store.set('pending', 'again', 'v', 60_000);
      await expect(store.set('pending', 'one-too-many', 'v', 60_000)).rejects.toMatchObject({
        code: 'store_quota_full',
      });
      // the index holds what the quota counts
      expect(await client.zCard(`${keyPrefix}index:pending`)).toBe(50);

      // the eviction policy: noeviction (redis-server's default) passes, anything else fails start-up
      expect(await store.check()).toEqual({ checked: true, policy: 'noeviction' });
      await client.configSet('maxmemory-policy', 'volatile-lru');
      try {
        await expect(store.check()).rejects.toMatchObject({
          code: 'store_misconfigured',
          message: expect.stringContaining('maxmemory-policy is volatile-lru'),
        });
        const proxy = new OAuthProxy({
          issuer: 'https://mcp.contoso.example',
          resource: 'https://mcp.contoso.example/mcp',
          store,
          upstream: {
            instance: world.emulator.instance,
            tenantId: world.emulator.tenantId,
            clientId: world.api.clientId,
            scopes: ['https://mcp.contoso.example/mcp/mcp.tools'],
            credential: { clientSecret: world.apiSecret },
          },
          logger: { info() {}, warn() {} },
        });
        await expect(
          world.server(
            {
              inboundAuthentication: { type: 'JwtBearerScheme', azureAd: world.azureAd() },
              outboundAuthentication: { type: 'ManagedIdentity' },
            },
            { authorizationServer: proxy },
          ),
        ).rejects.toThrow(/maxmemory-policy is volatile-lru/);
      } finally {
        await client.configSet('maxmemory-policy', 'noeviction');
      }
    });
  });
}
