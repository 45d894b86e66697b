import { ConfidentialClientApplication } from '@azure/msal-node';
import { createSelfSignedCertificate, EntraEmulator } from '@mcp-auth-kit/testing';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let emulator: EntraEmulator;
beforeAll(async () => {
  emulator = await EntraEmulator.start();
});
afterAll(async () => {
  await emulator.stop();
});

function msal(
  clientId: string,
  credential:
    | { clientSecret: string }
    | { clientCertificate: { thumbprintSha256: string; privateKey: string } },
) {
  return new ConfidentialClientApplication({
    auth: {
      clientId,
      authority: emulator.authority(),
      knownAuthorities: [new URL(emulator.httpsUrl).host],
      ...credential,
    },
  });
}

describe('OIDC discovery and JWKS', () => {
  it('lets jose verify minted v2 and v1 tokens through discovery over TLS', async () => {
    const alice = emulator.addUser({ userPrincipalName: 'alice@contoso.com' });
    const discovery = (await (
      await fetch(`${emulator.authority()}/v2.0/.well-known/openid-configuration`)
    ).json()) as {
      issuer: string;
      jwks_uri: string;
      token_endpoint: string;
    };
    expect(discovery.issuer).toBe(emulator.issuerV2());
    const jwks = createRemoteJWKSet(new URL(discovery.jwks_uri));
    const v2 = await emulator.mintUserToken({ user: alice, audience: 'app-id', scopes: ['mcp.tools'] });
    const { payload } = await jwtVerify(v2, jwks, { issuer: discovery.issuer, audience: 'app-id' });
    expect(payload).toMatchObject({
      ver: '2.0',
      tid: emulator.tenantId,
      oid: alice.objectId,
      preferred_username: 'alice@contoso.com',
      scp: 'mcp.tools',
    });

    const v1discovery = (await (
      await fetch(`${emulator.authority()}/.well-known/openid-configuration`)
    ).json()) as { issuer: string; jwks_uri: string };
    expect(v1discovery.issuer).toBe(`https://sts.windows.net/${emulator.tenantId}/`);
    const v1 = await emulator.mintUserToken({ user: alice, audience: 'api://app-id', version: '1.0' });
    const v1payload = (
      await jwtVerify(v1, createRemoteJWKSet(new URL(v1discovery.jwks_uri)), { issuer: v1discovery.issuer })
    ).payload;
    expect(v1payload).toMatchObject({ ver: '1.0', upn: 'alice@contoso.com', appid: expect.any(String) });
    expect(emulator.countRequests({ endpoint: 'jwks' })).toBeGreaterThanOrEqual(2);
  });

  it('publishes several keys and rotates on demand', async () => {
    expect(emulator.jwks().keys.length).toBeGreaterThanOrEqual(2);
    const before = emulator.currentKeyId;
    const kid = emulator.rotateKeys();
    expect(kid).not.toBe(before);
    expect(emulator.jwks().keys.map((k) => k.kid)).toContain(before);
    emulator.rotateKeys({ retireOld: true });
    expect(emulator.jwks().keys.map((k) => k.kid)).toEqual([emulator.currentKeyId]);
  });

  it('mints app tokens with roles and no user', async () => {
    const daemon = emulator.registerApp({ displayName: 'daemon' });
    const token = await emulator.mintAppToken({ app: daemon, audience: 'app-id', roles: ['Mcp.Invoke'] });
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({
      roles: ['Mcp.Invoke'],
      idtyp: 'app',
      azp: daemon.clientId,
      oid: daemon.objectId,
    });
    expect(claims.scp).toBeUndefined();
    expect(claims.upn).toBeUndefined();
  });
});

describe('On-Behalf-Of through the real msal-node', () => {
  const scope = 'https://ossrdbms-aad.database.windows.net/.default';

  it('exchanges a user token with a client secret, for the same user', async () => {
    const api = emulator.registerApp({ secret: 'right-secret' });
    const bob = emulator.addUser({ userPrincipalName: 'bob@contoso.com' });
    const assertion = await emulator.mintUserToken({ user: bob, audience: api.clientId });
    const before = emulator.countRequests({ grant: 'on_behalf_of', objectId: bob.objectId });
    const result = await msal(api.clientId, { clientSecret: 'right-secret' }).acquireTokenOnBehalfOf({
      oboAssertion: assertion,
      scopes: [scope],
    });
    const claims = decodeJwt(result!.accessToken);
    expect(claims).toMatchObject({
      aud: 'https://ossrdbms-aad.database.windows.net',
      oid: bob.objectId,
      upn: 'bob@contoso.com',
      appid: api.clientId,
    });
    expect(emulator.countRequests({ grant: 'on_behalf_of', objectId: bob.objectId, status: 200 })).toBe(
      before + 1,
    );
  });

  it('exchanges with a certificate (PS256 client assertion with x5t#S256)', async () => {
    const cert = createSelfSignedCertificate();
    const api = emulator.registerApp({ certificatePem: cert.certificatePem });
    const carol = emulator.addUser({ userPrincipalName: 'carol@contoso.com' });
    const assertion = await emulator.mintUserToken({
      user: carol,
      audience: `api://${api.clientId}`,
      version: '1.0',
    });
    const result = await msal(api.clientId, {
      clientCertificate: { thumbprintSha256: cert.thumbprintSha256, privateKey: cert.privateKeyPem },
    }).acquireTokenOnBehalfOf({ oboAssertion: assertion, scopes: [scope] });
    expect(decodeJwt(result!.accessToken).oid).toBe(carol.objectId);
  });

  it('refuses a wrong secret, a certificate it does not know, an expired assertion and an app-only assertion', async () => {
    const api = emulator.registerApp({ secret: 'right-secret' });
    const dave = emulator.addUser({ userPrincipalName: 'dave@contoso.com' });
    const good = await emulator.mintUserToken({ user: dave, audience: api.clientId });
    await expect(
      msal(api.clientId, { clientSecret: 'wrong' }).acquireTokenOnBehalfOf({
        oboAssertion: good,
        scopes: [scope],
      }),
    ).rejects.toMatchObject({
      errorCode: 'invalid_client',
    });
    const other = createSelfSignedCertificate();
    await expect(
      msal(api.clientId, {
        clientCertificate: { thumbprintSha256: other.thumbprintSha256, privateKey: other.privateKeyPem },
      }).acquireTokenOnBehalfOf({
        oboAssertion: good,
        scopes: [scope],
      }),
    ).rejects.toMatchObject({ errorCode: 'invalid_client' });
    const expired = await emulator.mintUserToken({
      user: dave,
      audience: api.clientId,
      claims: { exp: Math.floor(Date.now() / 1000) - 10 },
    });
    await expect(
      msal(api.clientId, { clientSecret: 'right-secret' }).acquireTokenOnBehalfOf({
        oboAssertion: expired,
        scopes: [scope],
      }),
    ).rejects.toMatchObject({
      errorCode: 'invalid_grant',
      errorMessage: expect.stringContaining('AADSTS500133'),
    });
    const appOnly = await emulator.mintAppToken({
      app: emulator.registerApp(),
      audience: api.clientId,
      roles: ['x'],
    });
    await expect(
      msal(api.clientId, { clientSecret: 'right-secret' }).acquireTokenOnBehalfOf({
        oboAssertion: appOnly,
        scopes: [scope],
      }),
    ).rejects.toMatchObject({
      errorMessage: expect.stringContaining('AADSTS7000114'),
    });
    const otherAudience = await emulator.mintUserToken({ user: dave, audience: 'someone-else' });
    await expect(
      msal(api.clientId, { clientSecret: 'right-secret' }).acquireTokenOnBehalfOf({
        oboAssertion: otherAudience,
        scopes: [scope],
      }),
    ).rejects.toMatchObject({ errorCode: 'invalid_grant' });
    emulator.revokeUser(dave);
    await expect(
      msal(api.clientId, { clientSecret: 'right-secret' }).acquireTokenOnBehalfOf({
        oboAssertion: good,
        scopes: [scope],
      }),
    ).rejects.toMatchObject({
      errorMessage: expect.stringContaining('AADSTS50173'),
    });
  });

  it('serves client_credentials', async () => {
    const daemon = emulator.registerApp({ secret: 's', roles: ['Reader'] });
    const result = await msal(daemon.clientId, { clientSecret: 's' }).acquireTokenByClientCredential({
      scopes: ['https://vault.azure.net/.default'],
    });
    expect(decodeJwt(result!.accessToken)).toMatchObject({
      aud: 'https://vault.azure.net',
      roles: ['Reader'],
      oid: daemon.objectId,
    });
  });

  it('answers a faulted token endpoint as configured, and recovers', async () => {
    const api = emulator.registerApp({ secret: 's' });
    const erin = emulator.addUser({ userPrincipalName: 'erin@contoso.com' });
    const assertion = await emulator.mintUserToken({ user: erin, audience: api.clientId });
    emulator.setFault('token', { kind: 'status', status: 503 });
    await expect(
      msal(api.clientId, { clientSecret: 's' }).acquireTokenOnBehalfOf({
        oboAssertion: assertion,
        scopes: [scope],
      }),
    ).rejects.toThrow();
    emulator.setFault('token', undefined);
    await expect(
      msal(api.clientId, { clientSecret: 's' }).acquireTokenOnBehalfOf({
        oboAssertion: assertion,
        scopes: [scope],
      }),
    ).resolves.toBeTruthy();
  });
});
