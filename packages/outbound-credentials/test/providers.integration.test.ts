// ManagedIdentity and JwtPassthrough providers; App Service managed identity for the whole file.
import { SecretClient } from '@azure/keyvault-secrets';
import {
  AuthContextAccessor,
  ConfigError,
  createRequestAuthContext,
  parseServerConfig,
} from '@mcp-auth-kit/auth-core';
import {
  createCredentialProviderFactory,
  JwtPassthroughCredentialProvider,
  ManagedIdentityCredentialProvider,
  OutboundCredentialError,
} from '@mcp-auth-kit/outbound-credentials';
import { EntraEmulator } from '@mcp-auth-kit/testing';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let emulator: EntraEmulator;
beforeAll(async () => {
  emulator = await EntraEmulator.start();
  Object.assign(process.env, emulator.appServiceEnvironment());
});
afterAll(async () => {
  await emulator.stop();
});

describe('ManagedIdentityCredentialProvider', () => {
  it('calls as the system-assigned identity, one credential for the process', async () => {
    const p = new ManagedIdentityCredentialProvider();
    expect(p.getTokenCredential()).toBe(p.getTokenCredential());
    const token = await p.getTokenCredential().getToken('https://ossrdbms-aad.database.windows.net/.default');
    expect(decodeJwt(token!.token).oid).toBe(emulator.systemAssignedIdentity.objectId);
    expect(p.describe().identity).toBe('managed identity (system-assigned)');
  });

  it('calls as a user-assigned identity from the seed configuration shape, through the factory', async () => {
    const uami = emulator.addUserAssignedIdentity('mcp-identity');
    const config = parseServerConfig({
      inboundAuthentication: { type: 'None' },
      outboundAuthentication: { type: 'ManagedIdentity', clientId: uami.clientId },
    });
    const p = createCredentialProviderFactory().create(config, {});
    emulator.setSecret('mi-secret', 'v');
    const client = new SecretClient(emulator.keyVaultUrl, p.getTokenCredential(), {
      disableChallengeResourceVerification: true,
    });
    expect((await client.getSecret('mi-secret')).value).toBe('v');
    expect(emulator.requests.at(-1)?.objectId).toBe(uami.objectId);
  });
});

describe('JwtPassthroughCredentialProvider', () => {
  const appId = '85a0b190-f927-4e27-b286-cd301d965e4a';

  it('warns at start-up, and hands the caller’s token only to the resource its audience names', async () => {
    const warnings: string[] = [];
    const accessor = new AuthContextAccessor();
    const p = new JwtPassthroughCredentialProvider({
      accessor,
      logger: { info: () => {}, warn: (m) => warnings.push(m) },
    });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('JwtObo');
    const user = emulator.addUser({ userPrincipalName: 'pt@contoso.com' });
    const token = await emulator.mintUserToken({ user, audience: `api://${appId}`, version: '1.0' });
    const ctx = createRequestAuthContext(token, decodeJwt(token));
    const own = await accessor.run(ctx, () => p.getTokenCredential().getToken(`api://${appId}/.default`));
    expect(own).toEqual({ token, expiresOnTimestamp: ctx.expiresOnTimestampMs, tokenType: 'Bearer' });
    const refused = await accessor
      .run(ctx, () => p.getTokenCredential().getToken('https://ossrdbms-aad.database.windows.net/.default'))
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OutboundCredentialError);
    expect((refused as OutboundCredentialError).code).toBe('passthrough_refused');
    expect((refused as Error).message).toContain('JwtObo');
    expect((refused as Error).message).not.toContain(token);
  });

  it('checks the caller token’s expiry against the clock it is given', async () => {
    const user = emulator.addUser({ userPrincipalName: 'clock@contoso.com' });
    const token = await emulator.mintUserToken({ user, audience: 'api://x', lifetimeSeconds: 600 });
    const ctx = createRequestAuthContext(token, decodeJwt(token));
    const quiet = { info: () => {}, warn: () => {} };
    const now = new JwtPassthroughCredentialProvider({ logger: quiet, now: () => Date.now() });
    expect((await now.getTokenCredential(ctx).getToken('api://x/.default'))?.token).toBe(token);
    const later = new JwtPassthroughCredentialProvider({ logger: quiet, now: () => Date.now() + 601_000 });
    await expect(later.getTokenCredential(ctx).getToken('api://x/.default')).rejects.toMatchObject({
      code: 'caller_token_rejected',
    });
  });

  it('never passes on a token that names several audiences, even to one of them', async () => {
    const p = new JwtPassthroughCredentialProvider({ logger: { info: () => {}, warn: () => {} } });
    const user = emulator.addUser({ userPrincipalName: 'multi@contoso.com' });
    const token = await emulator.mintUserToken({
      user,
      audience: `api://${appId}`,
      claims: { aud: [`api://${appId}`, 'https://ossrdbms-aad.database.windows.net'] },
    });
    const ctx = createRequestAuthContext(token, decodeJwt(token));
    for (const scope of [`api://${appId}/.default`, 'https://ossrdbms-aad.database.windows.net/.default']) {
      await expect(p.getTokenCredential(ctx).getToken(scope)).rejects.toMatchObject({
        code: 'passthrough_refused',
        message: expect.stringContaining('several audiences'),
      });
    }
  });

  it('refuses outside a request and with an expired token', async () => {
    const p = new JwtPassthroughCredentialProvider({ logger: { info: () => {}, warn: () => {} } });
    await expect(p.getTokenCredential().getToken('api://x/.default')).rejects.toMatchObject({
      code: 'no_caller_context',
    });
    const user = emulator.addUser({ userPrincipalName: 'old@contoso.com' });
    const token = await emulator.mintUserToken({ user, audience: 'api://x', lifetimeSeconds: -10 });
    await expect(
      p.getTokenCredential(createRequestAuthContext(token, decodeJwt(token))).getToken('api://x/.default'),
    ).rejects.toMatchObject({
      code: 'caller_token_rejected',
    });
  });
});

describe('the factory', () => {
  it('lists the known types for an unknown one and accepts a registered type', () => {
    const factory = createCredentialProviderFactory();
    const config = parseServerConfig(
      { inboundAuthentication: { type: 'None' }, outboundAuthentication: { type: 'Custom' } },
      { extraOutboundTypes: ['Custom'] },
    );
    expect(() => factory.create(config, {})).toThrowError(ConfigError);
    expect(() => factory.create(config, {})).toThrowError(
      /known types: Default, ManagedIdentity, JwtPassthrough, JwtObo/,
    );
    factory.register('Custom', () => new ManagedIdentityCredentialProvider());
    expect(factory.create(config, {}).type).toBe('ManagedIdentity');
  });
});
