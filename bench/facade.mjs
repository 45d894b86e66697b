// The authorization-server façade: façade tokens issued per second (refresh_token grants over
// HTTP: rotation, sealed store, ES256 signing), and the cost of validating a façade token (ES256
// signature and the sign-in lookup) beside an Entra ID token (RS256; first-seen and cached), in
// the same run. Then an anonymous flood: 100,000 authorization requests from 1,000 addresses, with
// the server's RSS before and after, and the signed-in user's tokens checked afterwards.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { parseServerConfig } from '@mcp-auth-kit/auth-core';
import { JwtBearerValidator } from '@mcp-auth-kit/inbound-jwt';
import { OAuthProxy } from '@mcp-auth-kit/oauth-proxy';
import { EntraEmulator } from '@mcp-auth-kit/testing';
import { measure, measureAlternating, report, smoke } from './lib.mjs';

const emulator = await EntraEmulator.start();
const alice = emulator.addUser({ userPrincipalName: 'alice@contoso.com' });
const server = createServer((req, res) => {
  if (!proxy.handle(req, res)) res.writeHead(404).end();
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;
const resource = `${issuer}/mcp`;
const apiClientId = randomUUID();
const secret = 'bench-secret';
emulator.registerApp({
  clientId: apiClientId,
  secret,
  identifierUris: [resource],
  exposedScopes: ['mcp.tools'],
  redirectUris: [`${issuer}/oauth/callback`],
});
const proxy = new OAuthProxy({
  issuer,
  resource,
  devMode: true,
  // the flood's addresses arrive as X-Forwarded-For from this (loopback) proxy
  trustedProxies: ['127.0.0.1'],
  rateLimits: {
    registrationsPerMinute: 1000,
    tokenRequestsPerMinute: 10_000_000,
    perClientPerMinute: 10_000_000,
  },
  upstream: {
    instance: emulator.instance,
    tenantId: emulator.tenantId,
    clientId: apiClientId,
    scopes: [`${resource}/mcp.tools`],
    credential: { clientSecret: secret },
  },
  logger: { info() {}, warn() {} },
});

// one sign-in, by hand: register, authorize, consent, Entra ID, callback, code
const reg = await (
  await fetch(`${issuer}/oauth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ redirect_uris: ['http://127.0.0.1:9/cb'], token_endpoint_auth_method: 'none' }),
  })
).json();
const verifier = randomBytes(32).toString('base64url');
const authorize = new URL(`${issuer}/oauth/authorize`);
for (const [k, v] of Object.entries({
  client_id: reg.client_id,
  response_type: 'code',
  redirect_uri: 'http://127.0.0.1:9/cb',
  code_challenge: createHash('sha256').update(verifier).digest('base64url'),
  code_challenge_method: 'S256',
  login_hint: 'alice@contoso.com',
}))
  authorize.searchParams.set(k, v);
const consent = await fetch(authorize);
const cookie = consent.headers.getSetCookie()[0].split(';')[0];
const page = await consent.text();
const field = (n) => new RegExp(`name="${n}" value="([^"]+)"`).exec(page)[1];
const up = await fetch(`${issuer}/oauth/consent`, {
  method: 'POST',
  redirect: 'manual',
  headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
  body: new URLSearchParams({ transaction: field('transaction'), csrf: field('csrf'), decision: 'allow' }),
});
const entra = await fetch(up.headers.get('location'), { redirect: 'manual' });
const back = await fetch(entra.headers.get('location'), { redirect: 'manual', headers: { cookie } });
const code = new URL(back.headers.get('location')).searchParams.get('code');
const token = (params) =>
  fetch(`${issuer}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params),
  }).then((r) => r.json());
let tokens = await token({
  grant_type: 'authorization_code',
  client_id: reg.client_id,
  code,
  code_verifier: verifier,
  redirect_uri: 'http://127.0.0.1:9/cb',
});
if (!tokens.refresh_token) throw new Error(`no tokens: ${JSON.stringify(tokens)}`);

// façade tokens issued per second: each refresh rotates the refresh token and signs a new access token
const issued = await measure(
  async () => {
    tokens = await token({
      grant_type: 'refresh_token',
      client_id: reg.client_id,
      refresh_token: tokens.refresh_token,
    });
  },
  { iterations: smoke ? 50 : 1000, repeats: smoke ? 2 : 7 },
);

// validation: a façade token beside an Entra ID token for the same API
const config = parseServerConfig({
  inboundAuthentication: {
    type: 'JwtBearerScheme',
    azureAd: { instance: emulator.instance, tenantId: emulator.tenantId, clientId: apiClientId },
  },
  outboundAuthentication: { type: 'ManagedIdentity' },
});
const azureAd = config.inboundAuthentication.azureAd;
const cached = new JwtBearerValidator(azureAd);
const uncached = new JwtBearerValidator(azureAd, { cacheMaxEntries: 0 });
const entraToken = await emulator.mintUserToken({
  user: alice,
  audience: apiClientId,
  scopes: ['mcp.tools'],
});
await cached.validate(entraToken);
await uncached.validate(entraToken);
const facadeToken = tokens.access_token;
await proxy.verifyAccessToken(facadeToken);
const [facade, entraFirstSeen, entraCached] = await measureAlternating(
  [
    () => proxy.verifyAccessToken(facadeToken),
    () => uncached.validate(entraToken),
    () => cached.validate(entraToken),
  ],
  { iterations: smoke ? 200 : 5000, repeats: smoke ? 2 : 9 },
);

// the flood: default limits (30 authorizations a minute per address, 10,000 pending records)
const floodRequests = smoke ? 2_000 : 100_000;
const addresses = smoke ? 100 : 1_000;
const mib = (bytes) => Math.round((bytes / 1024 / 1024) * 10) / 10;
globalThis.gc?.();
const rssBefore = process.memoryUsage().rss;
const heapBefore = process.memoryUsage().heapUsed;
let peakRss = rssBefore;
const statuses = {};
const started = performance.now();
let next = 0;
await Promise.all(
  Array.from({ length: 50 }, async () => {
    while (next < floodRequests) {
      const i = next++;
      const a = i % addresses;
      const res = await fetch(authorize, {
        redirect: 'manual',
        headers: { 'x-forwarded-for': `198.18.${a >> 8}.${a & 255}` },
      });
      await res.arrayBuffer();
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      if (i % 1000 === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }
  }),
);
const floodSeconds = (performance.now() - started) / 1000;
globalThis.gc?.();
const rssAfter = process.memoryUsage().rss;
// what the server keeps (the records, the rate limiter's windows): the heap after a collection,
// where the load generator's garbage is gone
const heapAfter = process.memoryUsage().heapUsed;
// the signed-in user keeps working: the access token validates, the refresh token rotates
let signedInWorks = true;
try {
  await proxy.verifyAccessToken(tokens.access_token);
  const refreshed = await token({
    grant_type: 'refresh_token',
    client_id: reg.client_id,
    refresh_token: tokens.refresh_token,
  });
  signedInWorks = typeof refreshed.access_token === 'string';
} catch {
  signedInWorks = false;
}
if (!signedInWorks) throw new Error('the flood ended the signed-in user’s session');
const flood = {
  requests: floodRequests,
  addresses,
  statuses,
  seconds: Math.round(floodSeconds * 10) / 10,
  rssBeforeMiB: mib(rssBefore),
  rssAfterMiB: mib(rssAfter),
  peakRssMiB: mib(Math.max(peakRss, rssAfter)),
  retainedHeapMiB: mib(heapAfter - heapBefore),
  signedInWorks,
};
server.close();
await emulator.stop();
report({ results: { issued, facade, entraFirstSeen, entraCached, flood } });
