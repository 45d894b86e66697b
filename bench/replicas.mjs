// Scale out: 2 replicas x 50 users, each user's calls alternating between the replicas, with and
// without the shared Redis token cache: identity-provider requests and getToken latency.
import { performance } from 'node:perf_hooks';
import { createRequestAuthContext, parseServerConfig } from '@mcp-auth-kit/auth-core';
import { createCredentialProviderFactory } from '@mcp-auth-kit/outbound-credentials';
import { EntraEmulator, findRedisServer, startRedisServer } from '@mcp-auth-kit/testing';
import { decodeJwt } from 'jose';
import { percentiles, report, smoke } from './lib.mjs';

const USERS = smoke ? 5 : 50;
const CALLS = smoke ? 4 : 20;
const SCOPE = 'https://ossrdbms-aad.database.windows.net/.default';
const found = findRedisServer();
if (!('path' in found)) {
  report({ name: 'replicas', results: { skipped: found.reason } });
  process.exit(0);
}
const emulator = await EntraEmulator.start();
const redis = await startRedisServer();
const api = emulator.registerApp({ secret: 's' });
const quiet = { info() {}, warn() {} };

async function scenario(shared) {
  const config = parseServerConfig({
    inboundAuthentication: {
      type: 'JwtBearerScheme',
      azureAd: { instance: emulator.instance, tenantId: emulator.tenantId, clientId: api.clientId },
    },
    outboundAuthentication: {
      type: 'JwtObo',
      clientCredential: { kind: 'ClientSecret', secret: 's' },
      ...(shared
        ? {
            tokenCache: {
              type: 'Redis',
              url: redis.url,
              encryptionKey: Buffer.alloc(32, 5).toString('base64'),
            },
          }
        : {}),
    },
  });
  const replicas = [0, 1].map(() => createCredentialProviderFactory().create(config, { logger: quiet }));
  const contexts = [];
  for (let i = 0; i < USERS; i++) {
    const user = emulator.addUser({ userPrincipalName: `r${shared ? 's' : 'n'}${i}@contoso.com` });
    const token = await emulator.mintUserToken({ user, audience: api.clientId });
    contexts.push(createRequestAuthContext(token, decodeJwt(token)));
  }
  if (shared)
    for (const r of replicas)
      await r.getTokenCredential(contexts[0]).getToken('https://vault.azure.net/.default');
  const before = emulator.countRequests({ grant: 'on_behalf_of', scope: SCOPE });
  const firstOnOther = [];
  const all = [];
  for (let c = 0; c < CALLS; c++) {
    for (const ctx of contexts) {
      const start = performance.now();
      await replicas[c % 2].getTokenCredential(ctx).getToken(SCOPE);
      const ms = performance.now() - start;
      all.push(ms);
      if (c === 1) firstOnOther.push(ms);
    }
  }
  const requests = emulator.countRequests({ grant: 'on_behalf_of', scope: SCOPE }) - before;
  await Promise.all(replicas.map((r) => r.close()));
  return {
    users: USERS,
    callsPerUser: CALLS,
    identityProviderRequests: requests,
    firstCallOnOtherReplicaMs: percentiles(firstOnOther),
    allCallsMs: percentiles(all),
  };
}

const results = { withoutSharedCache: await scenario(false), withSharedCache: await scenario(true) };
await redis.stop();
await emulator.stop();
report({ name: 'replicas', results });
process.exit(0);
