// Two stateless replicas (separate processes, no sticky sessions) sharing the On-Behalf-Of cache
// through a real redis-server. Skipped with the reason outside CI when redis-server is missing.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { findRedisServer, startRedisServer, type TestRedis } from '@mcp-auth-kit/testing';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query, startWorld, type World } from './world.js';

const found = findRedisServer();
const available = 'path' in found;
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

if (!available && process.env.CI !== 'true') {
  describe('replicas sharing the token cache', () => {
    it.skip(`skipped: ${'reason' in found ? found.reason : ''}`, () => {});
  });
} else {
  let world: World;
  let redis: TestRedis;
  const replicas: Array<{ child: ChildProcess; mcpUrl: string; stderr: string[] }> = [];

  beforeAll(async () => {
    if (!available)
      throw new Error(`CI must run the replica tests: ${'reason' in found ? found.reason : ''}`);
    world = await startWorld();
    redis = await startRedisServer();
    const path = join(mkdtempSync(join(tmpdir(), 'replicas-')), 'appsettings.json');
    writeFileSync(
      path,
      JSON.stringify({
        inboundAuthentication: { type: 'JwtBearerScheme', azureAd: world.azureAd() },
        outboundAuthentication: {
          type: 'JwtObo',
          clientCredential: { kind: 'ClientSecret', secret: { fromEnv: 'OBO_SECRET' } },
          tokenCache: { type: 'Redis', url: redis.url, encryptionKey: { fromEnv: 'CACHE_KEY' } },
        },
        mcpServer: { postgresServers: { local: { host: world.db.gate.host, port: world.db.gate.port } } },
      }),
    );
    for (let i = 0; i < 2; i++) {
      const child = spawn(process.execPath, [cli, 'start', '--config', path, '--port', '0', '--json'], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...process.env,
          OBO_SECRET: world.apiSecret,
          CACHE_KEY: Buffer.alloc(32, 3).toString('base64'),
        },
      });
      const stderr: string[] = [];
      child.stderr!.on('data', (d) => stderr.push(String(d)));
      const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
      replicas.push({ child, mcpUrl: (JSON.parse(line) as { mcpUrl: string }).mcpUrl, stderr });
    }
  }, 120_000);

  afterAll(async () => {
    await world?.closeClients();
    for (const r of replicas) {
      r.child.kill('SIGTERM');
      await once(r.child, 'exit');
    }
    await redis?.stop();
    await world?.stop();
  });

  describe('replicas sharing the token cache', () => {
    it('the same user’s second call, served by the other replica, makes no identity-provider request', async () => {
      const user = world.emulator.addUser({ userPrincipalName: 'alice@contoso.com' });
      const token = await world.token(user);
      const onA = await world.client(replicas[0]!.mcpUrl, token);
      const onB = await world.client(replicas[1]!.mcpUrl, token);
      expect((await query(onA, 'SELECT current_user AS u')).structuredContent?.rows).toEqual([
        ['alice@contoso.com'],
      ]);
      expect((await query(onB, 'SELECT current_user AS u')).structuredContent?.rows).toEqual([
        ['alice@contoso.com'],
      ]);
      expect(world.emulator.countRequests({ grant: 'on_behalf_of', objectId: user.objectId })).toBe(1);
    });

    it('loses no request while Redis restarts, and keeps no readable token in Redis', async () => {
      const users = ['bob', 'alice'].map((name) => (name === 'bob' ? world.bob : world.alice));
      const clients = await Promise.all(
        users.flatMap((u) => replicas.map(async (r) => world.client(r.mcpUrl, await world.token(u)))),
      );
      const failures: string[] = [];
      for (let i = 0; i < 40; i++) {
        if (i === 10) await redis.stop();
        if (i === 25) await redis.start();
        const client = clients[i % clients.length]!;
        const r = await query(client, 'SELECT current_user AS u');
        if (r.isError) failures.push(JSON.stringify(r.content));
      }
      expect(failures).toEqual([]);
      // Redis came back empty; a new caller's token is stored again once the replicas have reconnected.
      const carol = world.emulator.addUser({ userPrincipalName: 'carol@contoso.com' });
      await world.db.admin('CREATE ROLE "carol@contoso.com" LOGIN');
      let values = '';
      for (let i = 0; i < 50 && values === ''; i++) {
        await new Promise((r) => setTimeout(r, 100));
        const client = await world.client(
          replicas[i % 2]!.mcpUrl,
          await world.token(carol, world.api, { scopes: ['mcp.tools', `try${i}`] }),
        );
        const r = await query(client, 'SELECT current_user AS u');
        if (r.isError) failures.push(JSON.stringify(r.content));
        const c = createClient({ url: redis.url });
        await c.connect();
        const keys = await c.keys('*');
        values = (await Promise.all(keys.map((k) => c.get(k)))).join('\n');
        await c.quit();
      }
      expect(failures).toEqual([]);
      expect(values.length).toBeGreaterThan(0);
      // no token in the clear: a JWT is `eyJ….eyJ….` (a sealed value is Base64 with no dots, in
      // which the three letters eyJ alone turn up by chance in about one run in a hundred)
      expect(values).not.toMatch(/eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\./);
      for (const r of replicas) expect(r.stderr.join('')).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/);
    });
  });
}
