// App Service managed identity is set for the whole file: Key Vault certificates and federated
// credentials are read with the host's identity (@azure/identity fixes the source per process).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretClient } from '@azure/keyvault-secrets';
import {
  AuthContextAccessor,
  createRequestAuthContext,
  parseServerConfig,
  type RequestAuthContext,
} from '@mcp-auth-kit/auth-core';
import {
  createCredentialProviderFactory,
  type JwtOboCredentialProvider,
  OutboundCredentialError,
} from '@mcp-auth-kit/outbound-credentials';
import {
  createSelfSignedCertificate,
  type EmulatedApp,
  type EmulatedUser,
  EntraEmulator,
} from '@mcp-auth-kit/testing';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const PG_SCOPE = 'https://ossrdbms-aad.database.windows.net/.default';
const VAULT_SCOPE = 'https://vault.azure.net/.default';
const SECRET = 'obo-app-secret-value';
const quiet = { info: () => {}, warn: () => {} };

let emulator: EntraEmulator;
let api: EmulatedApp;
let alice: EmulatedUser;

beforeAll(async () => {
  emulator = await EntraEmulator.start();
  Object.assign(process.env, emulator.appServiceEnvironment());
  api = emulator.registerApp({ secret: SECRET });
  alice = emulator.addUser({ userPrincipalName: 'alice@contoso.com' });
});
afterAll(async () => {
  await emulator.stop();
});

function configFor(app: EmulatedApp, clientCredential: Record<string, unknown>) {
  return parseServerConfig({
    inboundAuthentication: {
      type: 'JwtBearerScheme',
      azureAd: { instance: emulator.instance, tenantId: emulator.tenantId, clientId: app.clientId },
    },
    outboundAuthentication: { type: 'JwtObo', clientCredential },
  });
}

function provider(
  app: EmulatedApp,
  clientCredential: Record<string, unknown>,
  accessor?: AuthContextAccessor,
) {
  return createCredentialProviderFactory().create(configFor(app, clientCredential), {
    logger: quiet,
    accessor,
  }) as JwtOboCredentialProvider;
}

async function callerContext(
  user: EmulatedUser,
  app: EmulatedApp = api,
  claims: Record<string, unknown> = {},
): Promise<RequestAuthContext> {
  const token = await emulator.mintUserToken({ user, audience: app.clientId, claims });
  return createRequestAuthContext(token, decodeJwt(token));
}

async function oboFails(
  p: JwtOboCredentialProvider,
  ctx: RequestAuthContext | undefined,
  scope = PG_SCOPE,
): Promise<OutboundCredentialError> {
  try {
    await p.getTokenCredential(ctx).getToken(scope);
  } catch (error) {
    expect(error).toBeInstanceOf(OutboundCredentialError);
    return error as OutboundCredentialError;
  }
  throw new Error('expected an OutboundCredentialError');
}

describe('every app credential kind, through the real msal-node', () => {
  it('ClientSecret', async () => {
    const token = await provider(api, { kind: 'ClientSecret', secret: SECRET })
      .getTokenCredential(await callerContext(alice))
      .getToken(PG_SCOPE);
    expect(decodeJwt(token!.token)).toMatchObject({
      oid: alice.objectId,
      aud: 'https://ossrdbms-aad.database.windows.net',
      appid: api.clientId,
    });
    expect(token!.expiresOnTimestamp).toBeGreaterThan(Date.now());
  });

  it('CertificateFile (PEM with certificate and key)', async () => {
    const cert = createSelfSignedCertificate();
    const app = emulator.registerApp({ certificatePem: cert.certificatePem });
    const dir = mkdtempSync(join(tmpdir(), 'obo-cert-'));
    const path = join(dir, 'app.pem');
    writeFileSync(path, `${cert.certificatePem}\n${cert.privateKeyPem}`);
    const token = await provider(app, { kind: 'CertificateFile', certificatePath: path })
      .getTokenCredential(await callerContext(alice, app))
      .getToken(PG_SCOPE);
    expect(decodeJwt(token!.token).oid).toBe(alice.objectId);
  });

  it.each(['pem', 'pkcs12'] as const)(
    'CertificateKeyVault (%s), read with the host managed identity',
    async (format) => {
      const cert = createSelfSignedCertificate();
      const app = emulator.registerApp({ certificatePem: cert.certificatePem });
      emulator.setCertificate(`obo-${format}`, cert, { format });
      const p = provider(app, {
        kind: 'CertificateKeyVault',
        keyVaultUrl: emulator.keyVaultUrl,
        certificateName: `obo-${format}`,
      });
      await p.ready();
      const token = await p.getTokenCredential(await callerContext(alice, app)).getToken(PG_SCOPE);
      expect(decodeJwt(token!.token).oid).toBe(alice.objectId);
      const reads = emulator.requests.filter(
        (r) => r.endpoint === 'keyVault' && r.scope === `obo-${format}` && r.status === 200,
      );
      expect(reads.map((r) => r.objectId)).toEqual([emulator.systemAssignedIdentity.objectId]);
    },
  );

  it('ManagedIdentityAssertion (federated credential, no secret at all)', async () => {
    const app = emulator.registerApp({ federatedManagedIdentity: emulator.systemAssignedIdentity });
    const token = await provider(app, { kind: 'ManagedIdentityAssertion' })
      .getTokenCredential(await callerContext(alice, app))
      .getToken(PG_SCOPE);
    expect(decodeJwt(token!.token).oid).toBe(alice.objectId);
    expect(
      emulator.countRequests({ endpoint: 'managedIdentity', scope: 'api://AzureADTokenExchange' }),
    ).toBeGreaterThanOrEqual(1);
  });
});

describe('caching', () => {
  it('asks the identity provider once per (caller token, scopes) while the token is valid', async () => {
    const p = provider(api, { kind: 'ClientSecret', secret: SECRET });
    const user = emulator.addUser({ userPrincipalName: 'cache@contoso.com' });
    const ctx = await callerContext(user);
    const count = (scope?: string) =>
      emulator.countRequests({ grant: 'on_behalf_of', objectId: user.objectId, scope });
    await Promise.all(Array.from({ length: 10 }, () => p.getTokenCredential(ctx).getToken(PG_SCOPE)));
    for (let i = 0; i < 10; i++) await p.getTokenCredential(ctx).getToken(PG_SCOPE);
    expect(count(PG_SCOPE)).toBe(1);
    await p.getTokenCredential(ctx).getToken(VAULT_SCOPE);
    expect(count(VAULT_SCOPE)).toBe(1);
    const sameUserNewToken = await callerContext(user, api, { uti: 'second-sign-in' });
    await p.getTokenCredential(sameUserNewToken).getToken(PG_SCOPE);
    expect(count(PG_SCOPE)).toBe(2);
  });

  it('is bounded', async () => {
    const p = createCredentialProviderFactory().create(
      configFor(api, { kind: 'ClientSecret', secret: SECRET }),
      {
        logger: quiet,
        cacheMaxEntries: 2,
      },
    ) as JwtOboCredentialProvider;
    const callers = [];
    for (let i = 0; i < 5; i++) callers.push(await callerContext(alice, api, { uti: `b${i}` }));
    // the identity provider's own count of the exchanges this provider asked for
    const start = emulator.countRequests({ grant: 'on_behalf_of' });
    const networkRequests = () => emulator.countRequests({ grant: 'on_behalf_of' }) - start;
    for (const ctx of callers) await p.getTokenCredential(ctx).getToken(PG_SCOPE);
    expect(networkRequests()).toBe(5);
    expect(p.cacheSize).toBe(2);
    // the newest caller is still cached; the oldest was evicted and costs a new acquisition
    await p.getTokenCredential(callers[4]!).getToken(PG_SCOPE);
    expect(networkRequests()).toBe(5);
    await p.getTokenCredential(callers[0]!).getToken(PG_SCOPE);
    expect(networkRequests()).toBe(6);
    expect(p.cacheSize).toBe(2);
  });
});

describe('isolation', () => {
  it('never gives a caller another caller’s token: 1000 interleaved concurrent calls by 50 users', async () => {
    const p = provider(api, { kind: 'ClientSecret', secret: SECRET });
    const accessor = new AuthContextAccessor();
    const bound = provider(api, { kind: 'ClientSecret', secret: SECRET }, accessor);
    const users = Array.from({ length: 50 }, (_, i) =>
      emulator.addUser({ userPrincipalName: `iso${i}@contoso.com` }),
    );
    const contexts = await Promise.all(users.map((u) => callerContext(u)));
    const before = emulator.countRequests({ grant: 'on_behalf_of', status: 200 });
    const calls = Array.from({ length: 1000 }, (_, i) => {
      const ctx = contexts[(i * 7) % contexts.length]!;
      const scope = i % 3 === 0 ? VAULT_SCOPE : PG_SCOPE;
      // half pass the context explicitly, half through the accessor (AsyncLocalStorage)
      const get =
        i % 2 === 0
          ? () => p.getTokenCredential(ctx).getToken(scope)
          : () =>
              accessor.run(ctx, async () => {
                await new Promise((r) => setTimeout(r, i % 5));
                return bound.getTokenCredential().getToken(scope);
              });
      return get().then((token) => ({ expected: ctx.principal.objectId, got: decodeJwt(token!.token).oid }));
    });
    const results = await Promise.all(calls);
    const crossings = results.filter((r) => r.expected !== r.got);
    expect(results).toHaveLength(1000);
    expect(crossings).toEqual([]);
    // even calls reach 25 users through one provider, odd calls the other 25 through the other:
    // exactly one identity-provider request per (user, scope), 50 users x 2 scopes
    const asked = (from: number) =>
      users
        .filter((_, i) => i % 2 === from)
        .reduce((n, u) => n + emulator.countRequests({ grant: 'on_behalf_of', objectId: u.objectId }), 0);
    expect(asked(0)).toBe(50);
    expect(asked(1)).toBe(50);
    expect(emulator.countRequests({ grant: 'on_behalf_of', status: 200 }) - before).toBe(100);
  });
});

describe('errors: typed, clear, and free of tokens and secrets', () => {
  it('no caller context', async () => {
    const error = await oboFails(provider(api, { kind: 'ClientSecret', secret: SECRET }), undefined);
    expect(error.code).toBe('no_caller_context');
  });

  it('an expired or revoked caller token asks the caller to sign in again', async () => {
    const p = provider(api, { kind: 'ClientSecret', secret: SECRET });
    const user = emulator.addUser({ userPrincipalName: 'revoked@contoso.com' });
    const ctx = await callerContext(user);
    emulator.revokeUser(user);
    const error = await oboFails(p, ctx);
    expect(error.code).toBe('caller_token_rejected');
    expect(error.callerShouldReauthenticate).toBe(true);
    expect(error.message).toContain('AADSTS50173');
    const expired = createRequestAuthContext('x.y.z', {
      ...(await callerContext(alice)).claims,
      exp: Math.floor(Date.now() / 1000) - 1,
    });
    expect((await oboFails(p, expired)).code).toBe('caller_token_rejected');
  });

  it('an app-only caller', async () => {
    const token = await emulator.mintAppToken({
      app: emulator.registerApp(),
      audience: api.clientId,
      roles: ['x'],
    });
    const error = await oboFails(
      provider(api, { kind: 'ClientSecret', secret: SECRET }),
      createRequestAuthContext(token, decodeJwt(token)),
    );
    expect(error.code).toBe('app_only_caller');
    expect(error.message).toContain('ManagedIdentity');
  });

  it('a tenant other than the caller’s', async () => {
    const p = provider(api, { kind: 'ClientSecret', secret: SECRET });
    await expect(
      p
        .getTokenCredential(await callerContext(alice))
        .getToken(PG_SCOPE, { tenantId: '99999999-9999-9999-9999-999999999999' }),
    ).rejects.toMatchObject({
      code: 'tenant_mismatch',
    });
    await expect(
      p
        .getTokenCredential(await callerContext(alice))
        .getToken(PG_SCOPE, { tenantId: emulator.tenantId.toUpperCase() }),
    ).resolves.toBeTruthy();
  });

  it('a wrong app secret, without the secret in the message', async () => {
    const error = await oboFails(
      provider(api, { kind: 'ClientSecret', secret: 'wrong-secret-value' }),
      await callerContext(alice),
    );
    expect(error.code).toBe('app_credential_rejected');
    expect(error.message).not.toContain('wrong-secret-value');
  });

  it('the identity provider unreachable is retryable, and recovers', async () => {
    const p = provider(api, { kind: 'ClientSecret', secret: SECRET });
    const ctx = await callerContext(alice, api, { uti: 'down' });
    emulator.setFault('token', { kind: 'down' });
    try {
      const error = await oboFails(p, ctx);
      expect(error.code).toBe('provider_unavailable');
      expect(error.retryable).toBe(true);
      expect(error.message).not.toContain(ctx.rawToken);
    } finally {
      emulator.clearFaults();
    }
    await expect(p.getTokenCredential(ctx).getToken(PG_SCOPE)).resolves.toBeTruthy();
  });

  it("one caller's 5xx from the identity provider does not block other callers (msal-node throttles app-wide)", async () => {
    // msal-node remembers a 5xx for 60 s under a key without any user in it, so by itself one
    // caller's transient failure would refuse every caller's On-Behalf-Of without a request.
    const p = provider(api, { kind: 'ClientSecret', secret: SECRET });
    const first = await callerContext(emulator.addUser({ userPrincipalName: 'five-a@contoso.com' }));
    const second = await callerContext(emulator.addUser({ userPrincipalName: 'five-b@contoso.com' }));
    emulator.setFault('token', { kind: 'status', status: 503 });
    try {
      const error = await oboFails(p, first);
      expect(error.code).toBe('provider_unavailable');
      expect(error.retryable).toBe(true);
    } finally {
      emulator.clearFaults();
    }
    const exchanges = () =>
      emulator.countRequests({ grant: 'on_behalf_of', objectId: first.principal.objectId }) +
      emulator.countRequests({ grant: 'on_behalf_of', objectId: second.principal.objectId });
    const before = exchanges();
    const token = await p.getTokenCredential(second).getToken(PG_SCOPE);
    expect(decodeJwt(token!.token).oid).toBe(second.principal.objectId);
    // and the caller who met the failure is served again at once, not after a minute
    const again = await p.getTokenCredential(first).getToken(PG_SCOPE);
    expect(decodeJwt(again!.token).oid).toBe(first.principal.objectId);
    expect(exchanges() - before).toBe(2);
    expect(emulator.countRequests({ grant: 'on_behalf_of', objectId: second.principal.objectId })).toBe(1);
  });

  it('a rate limit the identity provider asks for (429 with Retry-After) is respected for every caller', async () => {
    // its own app registration: msal keys the throttle by app, authority and scopes
    const limited = emulator.registerApp({ secret: SECRET });
    const p = provider(limited, { kind: 'ClientSecret', secret: SECRET });
    const first = await callerContext(emulator.addUser({ userPrincipalName: 'rl-a@contoso.com' }), limited);
    const second = await callerContext(emulator.addUser({ userPrincipalName: 'rl-b@contoso.com' }), limited);
    emulator.setFault('token', { kind: 'status', status: 429, retryAfterSeconds: 30 });
    try {
      expect((await oboFails(p, first)).code).toBe('provider_unavailable');
    } finally {
      emulator.clearFaults();
    }
    const error = await oboFails(p, second);
    expect(error.code).toBe('provider_unavailable');
    expect(error.retryable).toBe(true);
    expect(emulator.countRequests({ grant: 'on_behalf_of', objectId: second.principal.objectId })).toBe(0);
  });

  it('a Key Vault certificate that is missing or not exportable', async () => {
    const missing = provider(api, {
      kind: 'CertificateKeyVault',
      keyVaultUrl: emulator.keyVaultUrl,
      certificateName: 'absent',
    });
    await expect(missing.ready()).rejects.toMatchObject({
      code: 'certificate_unavailable',
      message: 'Key Vault certificate absent was not found',
    });
    emulator.setCertificate('locked', createSelfSignedCertificate(), { exportable: false });
    const locked = provider(api, {
      kind: 'CertificateKeyVault',
      keyVaultUrl: emulator.keyVaultUrl,
      certificateName: 'locked',
    });
    const error = await oboFails(locked, await callerContext(alice));
    expect(error.code).toBe('certificate_unavailable');
    expect(error.message).toContain('not exportable');
  });

  it('a certificate file that is missing fails at construction', () => {
    expect(() =>
      provider(api, { kind: 'CertificateFile', certificatePath: '/nonexistent/app.pem' }),
    ).toThrowError(/cannot be read \(ENOENT\)/);
  });
});

describe('with an unmodified Azure SDK client', () => {
  it('SecretClient reads Key Vault as the calling user', async () => {
    emulator.setSecret('user-secret', 'for alice');
    const p = provider(api, { kind: 'ClientSecret', secret: SECRET });
    const ctx = await callerContext(alice);
    const client = new SecretClient(emulator.keyVaultUrl, p.getTokenCredential(ctx), {
      disableChallengeResourceVerification: true,
    });
    expect((await client.getSecret('user-secret')).value).toBe('for alice');
    const read = emulator.requests.filter(
      (r) => r.endpoint === 'keyVault' && r.scope === 'user-secret' && r.status === 200,
    );
    expect(read.map((r) => r.objectId)).toEqual([alice.objectId]);
  });
});
