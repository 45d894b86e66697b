// Which issuers the façade's inbound authentication accepts: its own tokens always; Entra ID's
// only when an Entra setup is given (createMcpAuth's `acceptEntraTokens`, default true).
import { randomUUID } from 'node:crypto';
import { parseServerConfig } from '@mcp-auth-kit/auth-core';
import { JwtBearerInboundSetup } from '@mcp-auth-kit/inbound-jwt';
import { OAuthProxy } from '@mcp-auth-kit/oauth-proxy';
import { EntraEmulator } from '@mcp-auth-kit/testing';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let emulator: EntraEmulator;
beforeAll(async () => {
  emulator = await EntraEmulator.start();
});
afterAll(async () => {
  await emulator?.stop();
});

describe('OAuthProxy.inbound', () => {
  it('refuses Entra ID tokens without an Entra setup, accepts them with one; forged façade tokens get 401', async () => {
    const clientId = randomUUID();
    const proxy = new OAuthProxy({
      issuer: 'http://127.0.0.1:1',
      resource: 'http://127.0.0.1:1/mcp',
      upstream: {
        instance: emulator.instance,
        tenantId: emulator.tenantId,
        clientId,
        scopes: ['x'],
        credential: { clientSecret: 's' },
      },
      logger: { info() {}, warn() {} },
    });
    const alice = emulator.addUser({ userPrincipalName: 'alice@contoso.com' });
    const entraToken = await emulator.mintUserToken({
      user: alice,
      audience: clientId,
      scopes: ['mcp.tools'],
    });
    const request = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

    const facadeOnly = proxy.inbound();
    expect(await facadeOnly.authenticate(request(entraToken))).toMatchObject({
      kind: 'challenge',
      status: 401,
      error: 'invalid_token',
      errorDescription: expect.stringContaining('only tokens from this server'),
    });
    expect(await facadeOnly.authenticate({ headers: {} })).toEqual({ kind: 'challenge', status: 401 });

    const config = parseServerConfig({
      inboundAuthentication: {
        type: 'JwtBearerScheme',
        azureAd: { instance: emulator.instance, tenantId: emulator.tenantId, clientId },
      },
      outboundAuthentication: { type: 'ManagedIdentity' },
    });
    const both = proxy.inbound(
      new JwtBearerInboundSetup(config.inboundAuthentication.azureAd!, { logger: { info() {}, warn() {} } }),
    );
    expect(await both.authenticate(request(entraToken))).toMatchObject({ kind: 'authenticated' });

    // a token that claims the façade's issuer but is signed with another key
    const { generateKeyPairSync } = await import('node:crypto');
    const forged = await new SignJWT({
      oid: alice.objectId,
      tid: alice.tenantId,
      grant: 'g',
      scp: 'mcp.tools',
    })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt' })
      .setIssuer('http://127.0.0.1:1')
      .setAudience('http://127.0.0.1:1/mcp')
      .setExpirationTime('5m')
      .sign(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
    expect(await both.authenticate(request(forged))).toMatchObject({
      kind: 'challenge',
      status: 401,
      error: 'invalid_token',
      errorDescription: 'the token is invalid or expired',
    });
  });
});
