import { once } from 'node:events';
import { type AddressInfo, createServer } from 'node:net';
import { JwtBearerInboundSetup, JwtBearerValidator } from '@mcp-auth-kit/inbound-jwt';
import { type EmulatedUser, EntraEmulator } from '@mcp-auth-kit/testing';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import express from 'express';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_ID, azureAdFor, startProtectedServer } from './helpers.js';

let emulator: EntraEmulator;
let alice: EmulatedUser;

beforeAll(async () => {
  emulator = await EntraEmulator.start();
  alice = emulator.addUser({ userPrincipalName: 'alice@contoso.com' });
});
afterAll(async () => {
  await emulator.stop();
});

const token = (claims: Record<string, unknown> = {}) =>
  emulator.mintUserToken({ user: alice, audience: APP_ID, claims });

describe('signing keys', () => {
  it('shares one JWKS fetch among concurrent first requests', async () => {
    const validator = new JwtBearerValidator(azureAdFor(emulator));
    const before = emulator.countRequests({ endpoint: 'jwks' });
    const tokens = await Promise.all(Array.from({ length: 20 }, () => token()));
    await Promise.all(tokens.map((t) => validator.validate(t)));
    expect(emulator.countRequests({ endpoint: 'jwks' }) - before).toBe(1);
  });

  it('refetches for an unknown kid at most once per cooldown, and picks up a rotated key without restart', async () => {
    let clock = Date.now();
    const validator = new JwtBearerValidator(azureAdFor(emulator), {
      now: () => clock,
      jwks: { cooldownMs: 30_000 },
    });
    await validator.validate(await token());
    const fetches = () => emulator.countRequests({ endpoint: 'jwks' });
    const base = fetches();
    const forged = await token();
    const unknownKid = forged.replace(
      /^[^.]+/,
      Buffer.from(JSON.stringify({ alg: 'RS256', kid: 'unknown' })).toString('base64url'),
    );
    for (let i = 0; i < 5; i++)
      await expect(validator.validate(unknownKid)).rejects.toMatchObject({ code: 'invalid_token' });
    expect(fetches() - base).toBe(0); // the first fetch was just now: still in cooldown
    clock += 31_000;
    emulator.rotateKeys();
    const rotated = await token();
    await expect(validator.validate(rotated)).resolves.toMatchObject({
      principal: { objectId: alice.objectId },
    });
    expect(fetches() - base).toBe(1);
  });

  it('keeps validating with last-known-good keys while the provider is down, within the window', async () => {
    let clock = Date.now();
    const validator = new JwtBearerValidator(azureAdFor(emulator), {
      now: () => clock,
      cacheMaxEntries: 0,
      jwks: { maxAgeMs: 60_000, lastKnownGoodMs: 120_000 },
    });
    const t = await emulator.mintUserToken({ user: alice, audience: APP_ID, lifetimeSeconds: 7200 });
    await validator.validate(t);
    emulator.setFault('jwks', { kind: 'down' });
    emulator.setFault('discovery', { kind: 'down' });
    try {
      clock += 90_000; // keys stale, provider down: still inside the window
      await expect(validator.validate(t)).resolves.toBeTruthy();
      clock += 100_000; // beyond maxAge + lastKnownGood
      await expect(validator.validate(t)).rejects.toMatchObject({
        code: 'provider_unavailable',
        retryAfterSeconds: 5,
      });
    } finally {
      emulator.clearFaults();
    }
    await expect(validator.validate(t)).resolves.toBeTruthy();
  });

  it('tells the operator once per outage why the keys cannot be fetched, and once when they can again', async () => {
    const errors: string[] = [];
    const recoveries: string[] = [];
    const validator = new JwtBearerValidator(azureAdFor(emulator), {
      cacheMaxEntries: 0,
      jwks: {
        cooldownMs: 0,
        onRefreshError: (m) => errors.push(m),
        onRefreshRecovered: (m) => recoveries.push(m),
      },
    });
    const t = await token();
    emulator.setFault('discovery', { kind: 'status', status: 500 });
    try {
      for (let i = 0; i < 5; i++) {
        await expect(validator.validate(t)).rejects.toMatchObject({ code: 'provider_unavailable' });
      }
    } finally {
      emulator.clearFaults();
    }
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`${new URL(emulator.instance).origin}/`);
    expect(errors[0]).toContain('/.well-known/openid-configuration');
    expect(errors[0]).toContain('HTTP 500');
    expect(errors[0]).not.toContain(t.split('.')[2]!);
    expect(recoveries).toHaveLength(0);
    await expect(validator.validate(t)).resolves.toBeTruthy();
    expect(recoveries).toHaveLength(1);
    // a refused connection names its cause, not just "fetch failed"
    const listener = createServer().listen(0, '127.0.0.1');
    await once(listener, 'listening');
    const { port } = listener.address() as AddressInfo;
    await new Promise((r) => listener.close(r));
    const closed = new JwtBearerValidator(
      { ...azureAdFor(emulator), instance: `https://127.0.0.1:${port}/` },
      { jwks: { onRefreshError: (m) => errors.push(m) } },
    );
    await expect(closed.validate(t)).rejects.toMatchObject({ code: 'provider_unavailable' });
    expect(errors[1]).toContain('ECONNREFUSED');
  });

  it('an anonymous flood during a provider outage makes about one key fetch a second, not one per request', async () => {
    let clock = Date.now();
    const validator = new JwtBearerValidator(azureAdFor(emulator), { now: () => clock, cacheMaxEntries: 0 });
    // any well-formed token will do: its signature is checked only once keys are had
    const junk = await token();
    emulator.setFault('discovery', { kind: 'status', status: 500 });
    const before = emulator.countRequests({ endpoint: 'discovery' });
    try {
      for (let i = 0; i < 200; i++) {
        await expect(validator.validate(junk)).rejects.toMatchObject({
          code: 'provider_unavailable',
          retryAfterSeconds: 5,
        });
      }
      // the burst (10 attempts, each a request and one retry of a refused connection at most)
      const flood = emulator.countRequests({ endpoint: 'discovery' }) - before;
      expect(flood).toBeGreaterThanOrEqual(10);
      expect(flood).toBeLessThanOrEqual(20);
      clock += 3_000; // three seconds on: three more attempts at most
      for (let i = 0; i < 100; i++) await expect(validator.validate(junk)).rejects.toThrow();
      expect(emulator.countRequests({ endpoint: 'discovery' }) - before - flood).toBeLessThanOrEqual(6);
    } finally {
      emulator.clearFaults();
    }
    // the provider is back: the next second's attempt sees it
    clock += 1_000;
    await expect(validator.validate(junk)).resolves.toMatchObject({
      principal: { objectId: alice.objectId },
    });
  });

  it('answers 503 with Retry-After, never 401 or 500, when no keys can be had', async () => {
    emulator.setFault('discovery', { kind: 'status', status: 500 });
    const server = await startProtectedServer(azureAdFor(emulator));
    try {
      const res = await fetch(`${server.url}/mcp`, { headers: { authorization: `Bearer ${await token()}` } });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      emulator.clearFaults();
      // the same server recovers without restart
      const again = await fetch(`${server.url}/mcp`, {
        headers: { authorization: `Bearer ${await token()}` },
      });
      expect(again.status).toBe(200);
    } finally {
      emulator.clearFaults();
      await server.close();
    }
  });
});

describe('verified-token cache', () => {
  it('serves a repeated token from the cache and re-checks its expiry on each use', async () => {
    let clock = Date.now();
    const validator = new JwtBearerValidator(azureAdFor(emulator, { clockSkewSeconds: 0 }), {
      now: () => clock,
    });
    const t = await emulator.mintUserToken({ user: alice, audience: APP_ID, lifetimeSeconds: 60 });
    const first = await validator.validate(t);
    expect(validator.cacheSize).toBe(1);
    const second = await validator.validate(t);
    expect(second).toEqual(first);
    expect(second.rawToken).toBe(t);
    clock += 61_000;
    await expect(validator.validate(t)).rejects.toMatchObject({
      code: 'invalid_token',
      message: 'the token has expired',
    });
    expect(validator.cacheSize).toBe(0);
  });

  it('is bounded', async () => {
    const validator = new JwtBearerValidator(azureAdFor(emulator), { cacheMaxEntries: 3 });
    for (let i = 0; i < 6; i++) await validator.validate(await token({ uti: `u${i}` }));
    expect(validator.cacheSize).toBe(3);
  });
});

describe('multi-tenant', () => {
  it('accepts allow-listed tenants, each checked against its own issuer, and refuses others', async () => {
    const tenantB = '22222222-2222-2222-2222-222222222222';
    const tenantC = '33333333-3333-3333-3333-333333333333';
    const validator = new JwtBearerValidator(
      azureAdFor(emulator, { tenantId: 'organizations', allowedTenants: [emulator.tenantId, tenantB] }),
    );
    const bUser = emulator.addUser({ userPrincipalName: 'b@fabrikam.com', tenantId: tenantB });
    const cUser = emulator.addUser({ userPrincipalName: 'c@other.com', tenantId: tenantC });
    await expect(
      validator.validate(await emulator.mintUserToken({ user: bUser, audience: APP_ID })),
    ).resolves.toMatchObject({ principal: { tenantId: tenantB } });
    await expect(
      validator.validate(await emulator.mintUserToken({ user: cUser, audience: APP_ID })),
    ).rejects.toMatchObject({ code: 'invalid_token' });
    const spoofed = await emulator.mintUserToken({
      user: bUser,
      audience: APP_ID,
      claims: { iss: emulator.issuerV2(emulator.tenantId) },
    });
    await expect(validator.validate(spoofed)).rejects.toMatchObject({
      message: 'the token issuer does not match its version and tenant',
    });
  });
});

describe('drop-in for the MCP SDK requireBearerAuth', () => {
  it('works as the OAuthTokenVerifier of an existing express server', async () => {
    const setup = new JwtBearerInboundSetup(azureAdFor(emulator), { resourceUrl: 'http://127.0.0.1/mcp' });
    const app = express();
    app.get('/mcp', requireBearerAuth({ verifier: setup }), (req, res) => {
      res.json(
        (
          req as unknown as {
            auth: {
              clientId: string;
              scopes: string[];
              expiresAt: number;
              extra: { principal: { objectId: string } };
            };
          }
        ).auth,
      );
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/mcp`;
    try {
      const ok = await fetch(url, { headers: { authorization: `Bearer ${await token()}` } });
      expect(ok.status).toBe(200);
      const info = (await ok.json()) as {
        scopes: string[];
        expiresAt: number;
        extra: { principal: { objectId: string } };
      };
      expect(info.scopes).toEqual(['access_as_user']);
      expect(info.expiresAt).toBeGreaterThan(Date.now() / 1000);
      expect(info.expiresAt).toBeLessThan(Date.now() / 1000 + 4000);
      expect(info.extra.principal.objectId).toBe(alice.objectId);
      const bad = await fetch(url, { headers: { authorization: `Bearer ${await token({ aud: 'other' })}` } });
      expect(bad.status).toBe(401);
      expect(bad.headers.get('www-authenticate')).toContain('invalid_token');
    } finally {
      server.close();
    }
  });
});

describe('fuzzing the Authorization header', () => {
  it('never answers 500, never crashes, never hangs', async () => {
    const server = await startProtectedServer(azureAdFor(emulator));
    const valid = await token();
    const [h, p, s] = valid.split('.') as [string, string, string];
    const headerValue = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.string({ unit: 'binary-ascii', maxLength: 300 }),
      fc
        .tuple(fc.constantFrom('Bearer ', 'bearer ', 'BEARER  ', 'Basic ', ''), fc.string({ maxLength: 400 }))
        .map(([a, b]) => a + b),
      fc
        .tuple(fc.string({ maxLength: 50 }), fc.string({ maxLength: 50 }), fc.string({ maxLength: 50 }))
        .map(([a, b, c]) => `Bearer ${a}.${b}.${c}`),
      fc
        .tuple(fc.nat({ max: valid.length - 1 }), fc.string({ minLength: 1, maxLength: 1 }))
        .map(([i, c]) => `Bearer ${valid.slice(0, i)}${c}${valid.slice(i + 1)}`),
      fc.constantFrom(
        `Bearer ${h}.${p}`,
        `Bearer ${h}..${s}`,
        `Bearer .${p}.${s}`,
        `Bearer ${h}.${p}.${s}.${s}.${s}`,
      ),
    );
    try {
      await fc.assert(
        fc.asyncProperty(headerValue, async (value) => {
          let res: Response;
          try {
            res = await fetch(`${server.url}/mcp`, {
              headers: { authorization: value },
              signal: AbortSignal.timeout(5000),
            });
          } catch (error) {
            // fetch itself refuses header values with control characters before sending: not our server
            if (error instanceof TypeError && !/abort|timeout/i.test(String(error))) return;
            throw error;
          }
          expect([200, 401]).toContain(res.status);
          await res.arrayBuffer();
        }),
        { numRuns: 400 },
      );
      // and the server still serves a good token afterwards
      expect(
        (await fetch(`${server.url}/mcp`, { headers: { authorization: `Bearer ${valid}` } })).status,
      ).toBe(200);
    } finally {
      await server.close();
    }
  });
});
