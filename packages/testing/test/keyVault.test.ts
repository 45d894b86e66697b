import { X509Certificate } from 'node:crypto';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { SecretClient } from '@azure/keyvault-secrets';
import {
  createSelfSignedCertificate,
  type EmulatedManagedIdentity,
  EntraEmulator,
} from '@mcp-auth-kit/testing';
import forge from 'node-forge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let emulator: EntraEmulator;
beforeAll(async () => {
  emulator = await EntraEmulator.start();
});
afterAll(async () => {
  await emulator.stop();
});

/** A credential that asks the emulator for an identity's token, recording the scopes asked for. */
function credentialFor(
  identity: EmulatedManagedIdentity,
  audienceOverride?: string,
): TokenCredential & { scopes: string[] } {
  const scopes: string[] = [];
  return {
    scopes,
    async getToken(scope): Promise<AccessToken> {
      const s = (Array.isArray(scope) ? scope[0] : scope) ?? '';
      scopes.push(s);
      const token = await emulator.mintAppToken({
        app: identity,
        audience: audienceOverride ?? s.replace('/.default', ''),
      });
      return { token, expiresOnTimestamp: Date.now() + 3_600_000 };
    },
  };
}

describe('Key Vault secrets through the real SecretClient', () => {
  it('answers the bearer challenge, then serves a secret to a token for https://vault.azure.net', async () => {
    emulator.setSecret('plain', 'hello');
    const credential = credentialFor(emulator.systemAssignedIdentity);
    const client = new SecretClient(emulator.keyVaultUrl, credential, {
      disableChallengeResourceVerification: true,
    });
    const secret = await client.getSecret('plain');
    expect(secret.value).toBe('hello');
    expect(credential.scopes).toEqual(['https://vault.azure.net/.default']);
    expect(emulator.requests.filter((r) => r.endpoint === 'keyVault').map((r) => r.status)).toEqual([
      401, 200,
    ]);
  });

  it('serves a certificate as PEM and as PKCS#12', async () => {
    const cert = createSelfSignedCertificate('obo-cert');
    emulator.setCertificate('obo-pem', cert, { format: 'pem' });
    emulator.setCertificate('obo-pfx', cert, { format: 'pkcs12' });
    const client = new SecretClient(emulator.keyVaultUrl, credentialFor(emulator.systemAssignedIdentity), {
      disableChallengeResourceVerification: true,
    });

    const pem = await client.getSecret('obo-pem');
    expect(pem.properties.contentType).toBe('application/x-pem-file');
    expect(new X509Certificate(pem.value!).fingerprint256.replaceAll(':', '')).toBe(cert.thumbprintSha256);
    expect(pem.value).toContain('PRIVATE KEY');

    const pfx = await client.getSecret('obo-pfx');
    expect(pfx.properties.contentType).toBe('application/x-pkcs12');
    const p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(forge.util.decode64(pfx.value!)), '');
    const certBag = p12.getBags({ bagType: forge.pki.oids.certBag! })[forge.pki.oids.certBag!]![0]!;
    expect(forge.pki.certificateToPem(certBag.cert!).replace(/\r/g, '').trim()).toBe(
      cert.certificatePem.replace(/\r/g, '').trim(),
    );
  });

  it('refuses a token for another audience, and answers 404 for an unknown name and 403 for a non-exportable key', async () => {
    emulator.setSecret('guarded', 'x');
    const wrong = new SecretClient(
      emulator.keyVaultUrl,
      credentialFor(emulator.systemAssignedIdentity, 'https://management.azure.com'),
      {
        disableChallengeResourceVerification: true,
      },
    );
    await expect(wrong.getSecret('guarded')).rejects.toMatchObject({ statusCode: 401 });
    const client = new SecretClient(emulator.keyVaultUrl, credentialFor(emulator.systemAssignedIdentity), {
      disableChallengeResourceVerification: true,
    });
    await expect(client.getSecret('nope')).rejects.toMatchObject({ statusCode: 404, code: 'SecretNotFound' });
    emulator.setCertificate('locked', createSelfSignedCertificate(), { exportable: false });
    await expect(client.getSecret('locked')).rejects.toMatchObject({ statusCode: 403 });
  });
});
