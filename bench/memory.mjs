// 5. Memory: RSS and heap with many distinct callers' cached On-Behalf-Of tokens, and how the
// configured limit bounds it.
import { createRequestAuthContext, parseServerConfig } from '@mcp-auth-kit/auth-core';
import { createCredentialProviderFactory } from '@mcp-auth-kit/outbound-credentials';
import { EntraEmulator } from '@mcp-auth-kit/testing';
import { decodeJwt } from 'jose';
import { report, smoke } from './lib.mjs';

const CALLERS = smoke ? 300 : 10_000;
const emulator = await EntraEmulator.start();
const api = emulator.registerApp({ secret: 's' });
const config = parseServerConfig({
  inboundAuthentication: {
    type: 'JwtBearerScheme',
    azureAd: { instance: emulator.instance, tenantId: emulator.tenantId, clientId: api.clientId },
  },
  outboundAuthentication: { type: 'JwtObo', clientCredential: { kind: 'ClientSecret', secret: 's' } },
});
const contexts = [];
for (let i = 0; i < CALLERS; i++) {
  const user = emulator.addUser({ userPrincipalName: `m${i}@contoso.com` });
  const token = await emulator.mintUserToken({ user, audience: api.clientId, lifetimeSeconds: 7200 });
  contexts.push(createRequestAuthContext(token, decodeJwt(token)));
}
const mib = (n) => n / 1024 / 1024;

async function fill(limit) {
  global.gc?.();
  const before = process.memoryUsage();
  const exchangesBefore = emulator.countRequests({ grant: 'on_behalf_of' });
  const provider = createCredentialProviderFactory().create(config, {
    cacheMaxEntries: limit,
    logger: { info() {}, warn() {} },
  });
  const queue = [...contexts];
  await Promise.all(
    Array.from({ length: 20 }, async () => {
      for (let c = queue.shift(); c; c = queue.shift()) {
        await provider.getTokenCredential(c).getToken('https://ossrdbms-aad.database.windows.net/.default');
      }
    }),
  );
  global.gc?.();
  const after = process.memoryUsage();
  const result = {
    limit,
    callers: CALLERS,
    cached: provider.cacheSize,
    identityProviderRequests: emulator.countRequests({ grant: 'on_behalf_of' }) - exchangesBefore,
    heapDeltaMiB: mib(after.heapUsed - before.heapUsed),
    rssMiB: mib(after.rss),
  };
  await provider.close();
  return result;
}

const results = { unbounded: await fill(CALLERS), bounded: await fill(Math.floor(CALLERS / 10)) };
await emulator.stop();
report({ name: 'memory', results });
process.exit(0);
