// IMDS style managed identity (host overridden with AZURE_POD_IDENTITY_AUTHORITY_HOST); see the App
// Service file for why the two are apart.
import { ManagedIdentityCredential } from '@azure/identity';
import { EntraEmulator } from '@mcp-auth-kit/testing';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let emulator: EntraEmulator;
beforeAll(async () => {
  emulator = await EntraEmulator.start();
  delete process.env.IDENTITY_ENDPOINT;
  delete process.env.IDENTITY_HEADER;
  delete process.env.MSI_ENDPOINT;
  Object.assign(process.env, emulator.imdsEnvironment());
});
afterAll(async () => {
  await emulator.stop();
});

describe('managed identity, IMDS style', () => {
  it('issues tokens for the system-assigned and a user-assigned identity', async () => {
    const system = await new ManagedIdentityCredential().getToken('https://vault.azure.net/.default');
    expect(decodeJwt(system.token).oid).toBe(emulator.systemAssignedIdentity.objectId);
    const uami = emulator.addUserAssignedIdentity('worker');
    const user = await new ManagedIdentityCredential({ clientId: uami.clientId }).getToken(
      'https://vault.azure.net/.default',
    );
    expect(decodeJwt(user.token).oid).toBe(uami.objectId);
    expect(
      emulator.countRequests({ endpoint: 'managedIdentity', grant: 'imds', status: 200 }),
    ).toBeGreaterThanOrEqual(2);
  });

  it('requires the Metadata header', async () => {
    const url = `${emulator.httpUrl}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://vault.azure.net`;
    expect((await fetch(url)).status).toBe(400);
    expect((await fetch(url, { headers: { Metadata: 'true' } })).status).toBe(200);
  });
});
