// The shared On-Behalf-Of cache on a real redis-server. Outside CI these tests are skipped, with
// the reason, when redis-server is not installed; in CI (CI=true) a missing redis-server fails.

import {
  createRequestAuthContext,
  parseServerConfig,
  type RequestAuthContext,
} from '@mcp-auth-kit/auth-core';
import {
  createCredentialProviderFactory,
  type JwtOboCredentialProvider,
  RedisTokenStore,
} from '@mcp-auth-kit/outbound-credentials';
import {
  type EmulatedApp,
  EntraEmulator,
  findRedisServer,
  startRedisServer,
  type TestRedis,
} from '@mcp-auth-kit/testing';
import { decodeJwt } from 'jose';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const found = findRedisServer();
const available = 'path' in found;
const inCi = process.env.CI === 'true';
const PG_SCOPE = 'https://ossrdbms-aad.database.windows.net/.default';
const KEY = Buffer.alloc(32, 9).toString('base64');

if (!available && !inCi) {
  describe('shared token cache on Redis', () => {
    it.skip(`skipped: ${'reason' in found ? found.reason : ''}`, () => {});
  });
} else {
  let emulator: EntraEmulator;
  let redis: TestRedis;
  let api: EmulatedApp;
  const logs: string[] = [];
  const logger = { info: (m: string) => logs.push(`info ${m}`), warn: (m: string) => logs.push(`warn ${m}`) };

  beforeAll(async () => {
    if (!available) throw new Error(`CI must run the Redis tests: ${'reason' in found ? found.reason : ''}`);
    emulator = await EntraEmulator.start();
    redis = await startRedisServer();
    api = emulator.registerApp({ secret: 's' });
  });
  afterAll(async () => {
    await redis?.stop();
    await emulator?.stop();
  });

  const replica = (log: typeof logger = logger) => {
    const config = parseServerConfig({
      inboundAuthentication: {
        type: 'JwtBearerScheme',
        azureAd: { instance: emulator.instance, tenantId: emulator.tenantId, clientId: api.clientId },
      },
      outboundAuthentication: {
        type: 'JwtObo',
        clientCredential: { kind: 'ClientSecret', secret: 's' },
        tokenCache: { type: 'Redis', url: redis.url, encryptionKey: KEY, keyPrefix: 'test' },
      },
    });
    return createCredentialProviderFactory().create(config, {
      logger: log,
    }) as JwtOboCredentialProvider;
  };
  const caller = async (name: string): Promise<RequestAuthContext> => {
    const user = emulator.addUser({ userPrincipalName: `${name}@contoso.com` });
    const token = await emulator.mintUserToken({ user, audience: api.clientId });
    return createRequestAuthContext(token, decodeJwt(token));
  };
  const oboCount = (ctx: RequestAuthContext) =>
    emulator.countRequests({ grant: 'on_behalf_of', objectId: ctx.principal.objectId });
  // Key names are HMACs of the caller's partition: this finds the entries of one caller.
  const namer = new RedisTokenStore({
    url: 'redis://127.0.0.1:1',
    encryptionKey: Buffer.from(KEY, 'base64'),
    keyPrefix: 'test',
  });
  const callerKeys = (ctx: RequestAuthContext) =>
    `${namer.redisKey(`${ctx.principal.tenantId}.${ctx.principal.objectId}`, 'x').split(':').slice(0, 3).join(':')}:*`;
  const waitReady = async (p: JwtOboCredentialProvider, ctx: RequestAuthContext) => {
    // The first call connects in the background; wait until this replica has written this
    // caller's entry, so this replica's own connection is known to be up.
    for (let i = 0; i < 100; i++) {
      await p.getTokenCredential(ctx).getToken('https://vault.azure.net/.default');
      const keys = await raw((c) => c.keys(callerKeys(ctx)));
      if (keys.length > 0) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('Redis cache never became ready');
  };
  async function raw<T>(fn: (c: ReturnType<typeof createClient>) => Promise<T>): Promise<T> {
    const c = createClient({ url: redis.url });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.quit();
    }
  }

  describe('shared token cache on Redis', () => {
    it("serves a user's second call on the other replica without asking the identity provider", async () => {
      const a = replica();
      const b = replica();
      await waitReady(a, await caller('warm-a'));
      await waitReady(b, await caller('warm-b'));
      const alice = await caller('alice');
      const fromA = await a.getTokenCredential(alice).getToken(PG_SCOPE);
      const fromB = await b.getTokenCredential(alice).getToken(PG_SCOPE);
      expect(fromB?.token).toBe(fromA?.token);
      expect(decodeJwt(fromB!.token).oid).toBe(alice.principal.objectId);
      expect(oboCount(alice)).toBe(1);
      // B asked the identity provider for nothing: the one exchange was A's
      expect(oboCount(alice)).toBe(1);
      await a.close();
      await b.close();
    });

    it('stores nothing readable: no token, no user id, and entries cannot be moved between callers', async () => {
      const a = replica();
      const alice = await caller('reader-alice');
      const bob = await caller('reader-bob');
      await waitReady(a, await caller('warm-c'));
      const aliceToken = (await a.getTokenCredential(alice).getToken(PG_SCOPE))!.token;
      await a.getTokenCredential(bob).getToken(PG_SCOPE);
      const dump = await raw(async (c) => {
        const keys = await c.keys('test:*');
        return Promise.all(keys.map(async (k) => `${k}=${await c.get(k)}`));
      });
      const text = dump.join('\n');
      expect(dump.length).toBeGreaterThanOrEqual(2);
      // Values are standard base64 (no '.'), so nothing JWT-shaped may appear; a bare 'eyJ' can
      // occur in random ciphertext by chance and would prove nothing.
      expect(text).not.toMatch(/eyJ[\w-]*\.[\w-]+\./);
      expect(text).not.toContain(aliceToken);
      expect(text).not.toContain(aliceToken.split('.')[2]!.slice(0, 20));
      expect(text).not.toContain(alice.principal.objectId);
      expect(text).not.toContain('reader-alice');

      // Copy alice's entry onto bob's key: it does not decrypt there (the key name is authenticated).
      const store = new RedisTokenStore({
        url: redis.url,
        encryptionKey: Buffer.from(KEY, 'base64'),
        keyPrefix: 'test',
        logger,
      });
      expect(await store.ready()).toBe(true);
      const partition = (c: RequestAuthContext) => `${c.principal.tenantId}.${c.principal.objectId}`;
      await store.set(partition(alice), 'k', {
        token: aliceToken,
        expiresOnTimestamp: Date.now() + 3_600_000,
      });
      expect((await store.get(partition(alice), 'k'))?.token).toBe(aliceToken);
      await raw(async (c) => {
        await c.set(
          store.redisKey(partition(bob), 'k'),
          (await c.get(store.redisKey(partition(alice), 'k')))!,
        );
      });
      expect(await store.get(partition(bob), 'k')).toBeUndefined();
      const otherKey = new RedisTokenStore({
        url: redis.url,
        encryptionKey: Buffer.alloc(32, 1),
        keyPrefix: 'test',
        logger,
      });
      expect(await otherKey.ready()).toBe(true);
      await raw(async (c) => {
        await c.set(
          otherKey.redisKey(partition(alice), 'k'),
          (await c.get(store.redisKey(partition(alice), 'k')))!,
        );
      });
      expect(await otherKey.get(partition(alice), 'k')).toBeUndefined();
      await Promise.all([store.close(), otherKey.close(), a.close()]);
    });

    it('keeps serving through a Redis outage, logs it once, and uses Redis again when it is back', async () => {
      const logsA: string[] = [];
      const logsB: string[] = [];
      const a = replica({ info: (m) => logsA.push(`info ${m}`), warn: (m) => logsA.push(`warn ${m}`) });
      const b = replica({ info: (m) => logsB.push(`info ${m}`), warn: (m) => logsB.push(`warn ${m}`) });
      await waitReady(a, await caller('warm-d'));
      await waitReady(b, await caller('warm-e'));
      logsA.length = 0;
      logsB.length = 0;
      const warnings = (l: string[]) => l.filter((x) => x.startsWith('warn') && x.includes('unreachable'));
      const recoveries = (l: string[]) =>
        l.filter((x) => x.startsWith('info') && x.includes('reachable again'));
      await redis.stop();
      const during = await Promise.all(Array.from({ length: 10 }, (_, i) => caller(`outage${i}`)));
      for (const ctx of during) {
        const token = await a.getTokenCredential(ctx).getToken(PG_SCOPE);
        expect(decodeJwt(token!.token).oid).toBe(ctx.principal.objectId);
      }
      // a served ten calls through the outage and said so once, not ten times; b (idle) at most once
      expect(warnings(logsA)).toHaveLength(1);
      expect(warnings(logsB).length).toBeLessThanOrEqual(1);
      await redis.start();
      // both replicas reconnect by themselves (node-redis' reconnect strategy) and say so once each
      for (
        let i = 0;
        i < 200 && (recoveries(logsA).length < 1 || recoveries(logsB).length < warnings(logsB).length);
        i++
      ) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(recoveries(logsA)).toHaveLength(1);
      expect(recoveries(logsB)).toHaveLength(warnings(logsB).length);
      const carol = await caller('carol');
      await a.getTokenCredential(carol).getToken(PG_SCOPE);
      await b.getTokenCredential(carol).getToken(PG_SCOPE);
      expect(oboCount(carol)).toBe(1);
      await a.close();
      await b.close();
    });
  });
}
