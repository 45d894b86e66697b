import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { type EmulatedUser, EntraEmulator } from '@mcp-auth-kit/testing';
import { base64url, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_ID, azureAdFor, startProtectedServer, type TestServer } from './helpers.js';

let emulator: EntraEmulator;
let server: TestServer;
let alice: EmulatedUser;

beforeAll(async () => {
  emulator = await EntraEmulator.start();
  alice = emulator.addUser({ userPrincipalName: 'alice@contoso.com' });
  server = await startProtectedServer(azureAdFor(emulator), {
    policy: { postgres_database_query: { scopes: ['Postgres.Query'] } },
  });
});
afterAll(async () => {
  await server.close();
  await emulator.stop();
});

/** Sends raw headers (several Authorization headers are possible only this way). */
function rawGet(
  headers: Array<[string, string]>,
): Promise<{ status: number; challenges: string[]; body: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(`${server.url}/mcp`);
    const flat = [['Host', url.host], ...headers].flat();
    const req = httpRequest({
      host: url.hostname,
      port: url.port,
      path: url.pathname,
      method: 'GET',
      headers: flat as unknown as Record<string, string>,
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d) => {
        body += d;
      });
      const challenges = res.rawHeaders.filter(
        (_, i) => i % 2 === 1 && res.rawHeaders[i - 1]!.toLowerCase() === 'www-authenticate',
      );
      res.on('end', () => resolve({ status: res.statusCode!, challenges, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function call(authorization?: string) {
  const res = await rawGet(authorization === undefined ? [] : [['Authorization', authorization]]);
  return {
    status: res.status,
    challenge: res.challenges[0] ?? '',
    count: res.challenges.length,
    body: res.body,
  };
}

const now = () => Math.floor(Date.now() / 1000);
const v2 = (claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}) =>
  emulator.mintUserToken({ user: alice, audience: APP_ID, scopes: ['mcp.tools'], claims, header });

describe('valid tokens', () => {
  it('accepts a v2 token, sets req.auth and runs the handler inside the caller context', async () => {
    const res = await call(`Bearer ${await v2()}`);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ oid: alice.objectId, upn: 'alice@contoso.com', auth: true });
  });

  it.each([
    ['v1 with api://{clientId}', { version: '1.0' as const, audience: `api://${APP_ID}` }],
    ['v2 with the clientId', { version: '2.0' as const, audience: APP_ID }],
    ['the scheme in lower case', { version: '2.0' as const, audience: APP_ID, scheme: 'bearer' }],
  ])('accepts %s', async (_n, o) => {
    const token = await emulator.mintUserToken({ user: alice, audience: o.audience, version: o.version });
    expect((await call(`${'scheme' in o ? o.scheme : 'Bearer'} ${token}`)).status).toBe(200);
  });

  it('accepts an app token with roles and no scp', async () => {
    const token = await emulator.mintAppToken({
      app: emulator.registerApp(),
      audience: APP_ID,
      roles: ['Mcp.Invoke'],
    });
    expect((await call(`Bearer ${token}`)).status).toBe(200);
  });

  it('accepts a token 60 s past expiry within the default 2-minute clock skew', async () => {
    expect((await call(`Bearer ${await v2({ exp: now() - 60 })}`)).status).toBe(200);
  });
});

describe('the 401 challenge', () => {
  it('answers a missing token with exactly one WWW-Authenticate: realm, resource_metadata, the scope to ask for, no error code', async () => {
    const res = await rawGet([]);
    expect(res.status).toBe(401);
    expect(res.challenges).toHaveLength(1);
    expect(res.challenges[0]).toBe(
      `Bearer realm="mcp", resource_metadata="${server.url}/.well-known/oauth-protected-resource/mcp", scope="${server.url}/mcp/.default"`,
    );
  });

  it('points at metadata that resolves, naming Entra ID as authorization server', async () => {
    const res = await call();
    const metadataUrl = /resource_metadata="([^"]+)"/.exec(res.challenge)![1]!;
    const metadata = (await (await fetch(metadataUrl)).json()) as Record<string, unknown>;
    expect(metadata).toEqual({
      resource: `${server.url}/mcp`,
      authorization_servers: [`${emulator.instance}${emulator.tenantId}/v2.0`],
      // derived from the resource itself, so a client's resource and scope always agree (AADSTS9010010)
      scopes_supported: [`${server.url}/mcp/.default`],
      bearer_methods_supported: ['header'],
    });
    expect((await fetch(`${server.url}/.well-known/oauth-protected-resource`)).status).toBe(200);
  });

  it('ignores forwarded headers unless the author trusts them', async () => {
    const res = await fetch(`${server.url}/.well-known/oauth-protected-resource/mcp`, {
      headers: { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' },
    });
    expect(((await res.json()) as { resource: string }).resource).toBe(`${server.url}/mcp`);
  });
});

describe('bad input: every case is a 401 with error and description, never a 500', () => {
  const cases: Array<[string, () => Promise<string | undefined>, string]> = [
    ['an empty header', async () => '', ''],
    ['a wrong scheme', async () => `Basic ${Buffer.from('a:b').toString('base64')}`, 'invalid_request'],
    ['a bare scheme', async () => 'Bearer', 'invalid_request'],
    ['an oversized header', async () => `Bearer ${'a'.repeat(15_000)}.b.c`, 'invalid_token'],
    ['not a JWT', async () => 'Bearer not-a-jwt', 'invalid_token'],
    ['a JWE', async () => 'Bearer eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d', 'invalid_token'],
    [
      'alg none',
      async () =>
        `Bearer ${base64url.encode(JSON.stringify({ alg: 'none', kid: emulator.currentKeyId }))}.${base64url.encode(JSON.stringify({ aud: APP_ID }))}.`,
      'invalid_token',
    ],
    [
      'HS256 with a random secret',
      async () =>
        `Bearer ${await new SignJWT({ aud: APP_ID, scp: 'x' }).setProtectedHeader({ alg: 'HS256', kid: emulator.currentKeyId }).sign(new TextEncoder().encode('secret-secret-secret-secret-1234'))}`,
      'invalid_token',
    ],
    [
      'HS256 signed with the RSA public key as secret',
      async () => {
        const jwk = emulator.jwks().keys[0]!;
        const pem = createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' }).export({
          type: 'spki',
          format: 'pem',
        });
        return `Bearer ${await new SignJWT({ aud: APP_ID, scp: 'x', tid: emulator.tenantId }).setProtectedHeader({ alg: 'HS256', kid: jwk.kid }).sign(new TextEncoder().encode(String(pem)))}`;
      },
      'invalid_token',
    ],
    ['an unknown kid', async () => `Bearer ${await v2({}, { kid: 'nope' })}`, 'invalid_token'],
    [
      'a jku header',
      async () => `Bearer ${await v2({}, { jku: 'https://evil.example/keys' })}`,
      'invalid_token',
    ],
    [
      'an x5u header',
      async () => `Bearer ${await v2({}, { x5u: 'https://evil.example/cert' })}`,
      'invalid_token',
    ],
    [
      'an embedded jwk signed by the attacker',
      async () => {
        const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
        return `Bearer ${await new SignJWT({ aud: APP_ID, scp: 'x' }).setProtectedHeader({ alg: 'RS256', kid: emulator.currentKeyId, jwk: publicKey.export({ format: 'jwk' }) as never }).sign(privateKey)}`;
      },
      'invalid_token',
    ],
    [
      'a forged signature with the right kid',
      async () => {
        const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
        return `Bearer ${await new SignJWT({ aud: APP_ID, scp: 'x' }).setProtectedHeader({ alg: 'RS256', kid: emulator.currentKeyId }).sign(privateKey)}`;
      },
      'invalid_token',
    ],
    [
      'an unknown crit',
      async () => {
        const claims = {
          aud: APP_ID,
          iss: emulator.issuerV2(),
          tid: emulator.tenantId,
          oid: alice.objectId,
          scp: 'x',
          ver: '2.0',
          exp: now() + 600,
        };
        return `Bearer ${emulator.signRaw({ crit: ['urn:example:unknown'], 'urn:example:unknown': true }, claims)}`;
      },
      'invalid_token',
    ],
    [
      'a valid raw-signed token (control for the crit case)',
      async () => {
        const claims = {
          aud: APP_ID,
          iss: emulator.issuerV2(),
          tid: emulator.tenantId,
          oid: alice.objectId,
          scp: 'x',
          ver: '2.0',
          exp: now() + 600,
        };
        return `Bearer ${emulator.signRaw({}, claims)}`;
      },
      'ACCEPTED',
    ],
    [
      'an expired token (beyond skew)',
      async () => `Bearer ${await v2({ exp: now() - 600 })}`,
      'invalid_token',
    ],
    ['a token not yet valid', async () => `Bearer ${await v2({ nbf: now() + 600 })}`, 'invalid_token'],
    [
      'a wrong issuer',
      async () => `Bearer ${await v2({ iss: 'https://evil.example/v2.0' })}`,
      'invalid_token',
    ],
    [
      'a wrong audience',
      async () => `Bearer ${await emulator.mintUserToken({ user: alice, audience: 'someone-else' })}`,
      'invalid_token',
    ],
    [
      'a wrong tenant',
      async () =>
        `Bearer ${await emulator.mintUserToken({ user: emulator.addUser({ userPrincipalName: 'x@fabrikam.com', tenantId: '11111111-1111-1111-1111-111111111111' }), audience: APP_ID })}`,
      'invalid_token',
    ],
    ['a missing tid', async () => `Bearer ${await v2({ tid: undefined })}`, 'invalid_token'],
    ['a missing exp', async () => `Bearer ${await v2({ exp: undefined })}`, 'invalid_token'],
    [
      'a v1 issuer on a v2 token',
      async () => `Bearer ${await v2({ iss: emulator.issuerV1() })}`,
      'invalid_token',
    ],
    ['a v2 issuer on a v1 token', async () => `Bearer ${await v2({ ver: '1.0' })}`, 'invalid_token'],
    ['neither scp nor roles', async () => `Bearer ${await v2({ scp: undefined })}`, 'invalid_token'],
    [
      'roles that are not strings (and no scp)',
      async () => `Bearer ${await v2({ scp: undefined, roles: [123, null, ''] })}`,
      'invalid_token',
    ],
    ['an absurd lifetime (exp 1e20)', async () => `Bearer ${await v2({ exp: 1e20 })}`, 'invalid_token'],
    [
      'a lifetime beyond 28 hours',
      async () => `Bearer ${await v2({ exp: now() + 29 * 3600 })}`,
      'invalid_token',
    ],
    [
      'a 24-hour lifetime (control for the lifetime cases)',
      async () => `Bearer ${await v2({ exp: now() + 24 * 3600 })}`,
      'ACCEPTED',
    ],
    [
      'a payload that is not JSON',
      async () =>
        `Bearer ${base64url.encode(JSON.stringify({ alg: 'RS256', kid: emulator.currentKeyId }))}.${base64url.encode('nope')}.AAAA`,
      'invalid_token',
    ],
  ];

  it.each(cases)('%s', async (_name, makeHeader, error) => {
    const header = await makeHeader();
    const res = await call(header);
    if (error === 'ACCEPTED') {
      expect(res.status).toBe(200);
      return;
    }
    expect(res.status).toBe(401);
    expect(res.count).toBe(1);
    expect(res.challenge.startsWith('Bearer realm="mcp", resource_metadata="')).toBe(true);
    if (error) {
      expect(res.challenge).toContain(`error="${error}"`);
      expect(res.challenge).toMatch(/error_description="[^"]+"/);
    } else {
      expect(res.challenge).not.toContain('error=');
    }
    const token = header?.split(' ')[1];
    if (token && token.length > 20) expect(res.body + res.challenge).not.toContain(token.slice(-20));
  });

  it('refuses several Authorization headers', async () => {
    const token = await v2();
    const res = await rawGet([
      ['Authorization', `Bearer ${token}`],
      ['Authorization', `Bearer ${token}`],
    ]);
    expect(res.status).toBe(401);
    expect(res.challenges[0]).toContain('error="invalid_request"');
  });
});

describe('403 insufficient_scope', () => {
  it('enforces requiredRoles (any one suffices)', async () => {
    const strict = await startProtectedServer(
      azureAdFor(emulator, { requiredRoles: ['Mcp.Admin', 'Mcp.User'] }),
    );
    try {
      const without = await fetch(`${strict.url}/mcp`, {
        headers: { authorization: `Bearer ${await v2()}` },
      });
      expect(without.status).toBe(403);
      // app roles are assigned, not requested: the 403 names no scope for a client to ask for
      expect(without.headers.get('www-authenticate')).toContain(
        'error="insufficient_scope", error_description="the token lacks a required role or scope"',
      );
      expect(without.headers.get('www-authenticate')).not.toContain('scope=');
      const withRole = await emulator.mintUserToken({ user: alice, audience: APP_ID, roles: ['Mcp.User'] });
      expect(
        (await fetch(`${strict.url}/mcp`, { headers: { authorization: `Bearer ${withRole}` } })).status,
      ).toBe(200);
    } finally {
      await strict.close();
    }
  });

  it('checks the per-tool policy before the tool runs and names the scope', async () => {
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'postgres_database_query', arguments: {} },
    });
    const denied = await fetch(`${server.url}/mcp`, {
      method: 'POST',
      body,
      headers: { authorization: `Bearer ${await v2()}`, 'content-type': 'application/json' },
    });
    expect(denied.status).toBe(403);
    // named as the client requests it: under the resource URL
    expect(denied.headers.get('www-authenticate')).toContain(`scope="${server.url}/mcp/Postgres.Query"`);
    const token = await emulator.mintUserToken({
      user: alice,
      audience: APP_ID,
      scopes: ['mcp.tools', 'Postgres.Query'],
    });
    const allowed = await fetch(`${server.url}/mcp`, {
      method: 'POST',
      body,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    });
    expect(allowed.status).toBe(200);
    const other = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'whoami' } });
    expect(
      (
        await fetch(`${server.url}/mcp`, {
          method: 'POST',
          body: other,
          headers: { authorization: `Bearer ${await v2()}` },
        })
      ).status,
    ).toBe(200);
  });
});
