// 1. Inbound validation: ours (repeated token / first-seen) vs bare jose, jsonwebtoken + jwks-rsa
// (express-jwt's stack), fast-jwt with and without cache, the MCP SDK's requireBearerAuth with a
// plain jose verifier, and raw node:crypto RSA verify as the floor. Same token, same key.
import { createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { parseServerConfig } from '@mcp-auth-kit/auth-core';
import { JwtBearerValidator } from '@mcp-auth-kit/inbound-jwt';
import { EntraEmulator } from '@mcp-auth-kit/testing';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import { createVerifier } from 'fast-jwt';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import jwt from 'jsonwebtoken';
import jwksRsa from 'jwks-rsa';
import { measure, measureAlternating, report, smoke } from './lib.mjs';

const APP = '85a0b190-f927-4e27-b286-cd301d965e4a';
const emulator = await EntraEmulator.start();
const user = emulator.addUser({ userPrincipalName: 'bench@contoso.com' });
const token = await emulator.mintUserToken({
  user,
  audience: APP,
  scopes: ['mcp.tools'],
  lifetimeSeconds: 7200,
});
const issuer = emulator.issuerV2();
const jwk = emulator.jwks().keys.find((k) => k.kid === emulator.currentKeyId);
const keyObject = createPublicKey({ key: jwk, format: 'jwk' });
const pem = keyObject.export({ type: 'spki', format: 'pem' }).toString();
const azureAd = parseServerConfig({
  inboundAuthentication: {
    type: 'JwtBearerScheme',
    azureAd: { instance: emulator.instance, tenantId: emulator.tenantId, clientId: APP },
  },
  outboundAuthentication: { type: 'Default' },
}).inboundAuthentication.azureAd;

const iterations = smoke ? 200 : 5000;
const results = {};

const cached = new JwtBearerValidator(azureAd);
await cached.validate(token);

const uncached = new JwtBearerValidator(azureAd, { cacheMaxEntries: 0 });
await uncached.validate(token);
// First-seen against bare jose in alternation (the pair the target compares), in short blocks so
// that noise from the other core falls on both alike.
[results.oursFirstSeen, results.jose] = await measureAlternating(
  [
    () => uncached.validate(token),
    () => jwtVerify(token, keyObject, { issuer, audience: APP, algorithms: ['RS256'] }),
  ],
  { iterations: smoke ? 100 : 1000, repeats: smoke ? 2 : 15 },
);

const jwksUri = `${emulator.authority()}/discovery/v2.0/keys`;
const jwksClient = jwksRsa({ jwksUri, cache: true });
const kid = emulator.currentKeyId;
results.jsonwebtoken = await measure(
  async () => {
    const key = await jwksClient.getSigningKey(kid);
    jwt.verify(token, key.getPublicKey(), { algorithms: ['RS256'], audience: APP, issuer });
  },
  { iterations },
);

const fastCached = createVerifier({
  key: pem,
  algorithms: ['RS256'],
  allowedAud: APP,
  allowedIss: issuer,
  cache: true,
});
const fastUncached = createVerifier({
  key: pem,
  algorithms: ['RS256'],
  allowedAud: APP,
  allowedIss: issuer,
  cache: false,
});
// The two caches are measured in alternation (they are the closest pair).
[results.oursRepeated, results.fastJwtCached] = await measureAlternating(
  [() => cached.validate(token), () => fastCached(token)],
  {
    iterations: iterations * 4,
  },
);
results.fastJwtUncached = await measure(() => fastUncached(token), { iterations });

const remote = createRemoteJWKSet(new URL(jwksUri));
const middleware = requireBearerAuth({
  verifier: {
    async verifyAccessToken(t) {
      const { payload } = await jwtVerify(t, remote, { issuer, audience: APP, algorithms: ['RS256'] });
      return {
        token: t,
        clientId: String(payload.azp),
        scopes: String(payload.scp).split(' '),
        expiresAt: payload.exp,
      };
    },
  },
});
const req = { headers: { authorization: `Bearer ${token}` } };
const res = {
  set() {},
  status() {
    return this;
  },
  json() {
    throw new Error('refused');
  },
};
results.mcpSdkRequireBearerAuth = await measure(
  () => new Promise((resolve) => middleware(req, res, resolve)),
  { iterations },
);

const [h, p, s] = token.split('.');
const data = Buffer.from(`${h}.${p}`);
const signature = Buffer.from(s, 'base64url');
results.rawCryptoVerify = await measure(() => cryptoVerify('sha256', data, keyObject, signature), {
  iterations,
});

// Memory of cached entries: distinct tokens (signed with the emulator's key), cache large enough.
const entries = smoke ? 300 : 20_000;
const tokens = [];
for (let i = 0; i < entries; i++) {
  tokens.push(
    emulator.signRaw(
      {},
      {
        aud: APP,
        iss: issuer,
        tid: emulator.tenantId,
        oid: `00000000-0000-0000-0000-${String(i).padStart(12, '0')}`,
        sub: `s${i}`,
        scp: 'mcp.tools',
        ver: '2.0',
        preferred_username: `user${i}@contoso.com`,
        name: `User ${i}`,
        azp: '04b07795-8ddb-461a-bbee-02f9e1bf7b46',
        iat: Math.floor(Date.now() / 1000),
        exp: Math.floor(Date.now() / 1000) + 7200,
      },
    ),
  );
}
const big = new JwtBearerValidator(azureAd, { cacheMaxEntries: 200_000 });
await big.validate(token);
global.gc?.();
const before = process.memoryUsage().heapUsed;
for (const t of tokens) await big.validate(t);
global.gc?.();
const after = process.memoryUsage().heapUsed;
const tokensBytes = tokens.reduce((n, t) => n + t.length, 0);
results.cacheMemory = {
  entries: big.cacheSize - 1,
  bytesPerEntry: (after - before) / (big.cacheSize - 1),
  tokenBytesAverage: tokensBytes / tokens.length,
  gcExposed: typeof global.gc === 'function',
};
results.jwksFetches = cached.jwks.fetchCount + uncached.jwks.fetchCount;

await emulator.stop();
report({ name: 'inbound', results });
process.exit(0);
