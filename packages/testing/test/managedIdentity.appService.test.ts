// App Service style managed identity. @azure/identity picks the managed identity source once per
// process, so the IMDS style lives in its own file (vitest runs each file in its own process).
import { ManagedIdentityCredential } from '@azure/identity';
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

describe('managed identity, App Service style (IDENTITY_ENDPOINT + IDENTITY_HEADER)', () => {
  it('issues a token for the system-assigned identity', async () => {
    const token = await new ManagedIdentityCredential().getToken('https://vault.azure.net/.default');
    expect(decodeJwt(token.token)).toMatchObject({
      aud: 'https://vault.azure.net',
      oid: emulator.systemAssignedIdentity.objectId,
      appid: emulator.systemAssignedIdentity.clientId,
      tid: emulator.tenantId,
    });
    expect(token.expiresOnTimestamp).toBeGreaterThan(Date.now());
    expect(emulator.countRequests({ endpoint: 'managedIdentity', grant: 'app_service', status: 200 })).toBe(
      1,
    );
  });

  it('issues a token for a user-assigned identity selected by client id', async () => {
    const uami = emulator.addUserAssignedIdentity('mcp-server-identity');
    const token = await new ManagedIdentityCredential({ clientId: uami.clientId }).getToken(
      'https://ossrdbms-aad.database.windows.net/.default',
    );
    expect(decodeJwt(token.token)).toMatchObject({
      oid: uami.objectId,
      aud: 'https://ossrdbms-aad.database.windows.net',
    });
  });

  it('checks the identity header', async () => {
    const url = new URL(emulator.appServiceEnvironment().IDENTITY_ENDPOINT!);
    url.searchParams.set('api-version', '2019-08-01');
    url.searchParams.set('resource', 'https://vault.azure.net');
    expect((await fetch(url, { headers: { 'X-IDENTITY-HEADER': 'wrong' } })).status).toBe(401);
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { 'X-IDENTITY-HEADER': emulator.identityHeader } })).status).toBe(
      200,
    );
  });
});
