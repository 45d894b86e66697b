import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { TokenCredential } from '@azure/core-auth';
import { ManagedIdentityCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { type ClientCredentialConfig, isSecureOrLoopbackUrl } from '@mcp-auth-kit/auth-core';
import forge from 'node-forge';
import { OutboundCredentialError } from './errors.js';

/** What msal-node's ConfidentialClientApplication takes to authenticate the app. */
export type MsalAppCredential =
  | { readonly clientSecret: string }
  | {
      readonly clientCertificate: {
        readonly thumbprintSha256: string;
        readonly privateKey: string;
        readonly x5c: string;
      };
    }
  | { readonly clientAssertion: () => Promise<string> };

/** The audience of a managed identity token used as a federated credential. */
export const FEDERATED_CREDENTIAL_SCOPE = 'api://AzureADTokenExchange/.default';

/** A certificate and its key from PEM text (both in one file, as Key Vault and most tools write them). */
export function certificateFromPem(pem: string, where: string): MsalAppCredential {
  const certs = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  const keyMatch = pem.match(
    /-----BEGIN (RSA |EC |ENCRYPTED )?PRIVATE KEY-----[\s\S]+?-----END \1?PRIVATE KEY-----/,
  );
  if (certs.length === 0)
    throw new OutboundCredentialError('certificate_unavailable', `${where} holds no certificate`);
  if (!keyMatch)
    throw new OutboundCredentialError('certificate_unavailable', `${where} holds no private key`);
  if (keyMatch[1] === 'ENCRYPTED ') {
    throw new OutboundCredentialError(
      'certificate_unavailable',
      `${where} holds an encrypted private key; provide it unencrypted`,
    );
  }
  let cert: X509Certificate;
  let privateKey: string;
  try {
    cert = new X509Certificate(certs[0]!);
    const key = createPrivateKey(keyMatch[0]);
    if (!cert.checkPrivateKey(key)) throw new Error('mismatch');
    privateKey = key.export({ type: 'pkcs8', format: 'pem' }).toString();
  } catch (cause) {
    throw new OutboundCredentialError(
      'certificate_unavailable',
      `${where}: the certificate and private key are unreadable or do not match`,
      { cause },
    );
  }
  return {
    clientCertificate: {
      thumbprintSha256: cert.fingerprint256.replaceAll(':', ''),
      privateKey,
      x5c: certs.join('\n'),
    },
  };
}

/** A certificate and key from base64 PKCS#12 (Key Vault's default format; empty password). */
export function certificateFromPkcs12(base64: string, where: string): MsalAppCredential {
  try {
    const p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(forge.util.decode64(base64)), '');
    const keyBags = [
      ...(p12.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag! })[
        forge.pki.oids.pkcs8ShroudedKeyBag!
      ] ?? []),
      ...(p12.getBags({ bagType: forge.pki.oids.keyBag! })[forge.pki.oids.keyBag!] ?? []),
    ];
    const certBags = p12.getBags({ bagType: forge.pki.oids.certBag! })[forge.pki.oids.certBag!] ?? [];
    const key = keyBags[0]?.key;
    if (!key || certBags.length === 0) throw new Error('missing bag');
    const pem = [
      forge.pki.privateKeyToPem(key),
      ...certBags.map((b) => (b.cert ? forge.pki.certificateToPem(b.cert) : '')),
    ].join('\n');
    return certificateFromPem(pem, where);
  } catch (cause) {
    if (cause instanceof OutboundCredentialError) throw cause;
    throw new OutboundCredentialError(
      'certificate_unavailable',
      `${where}: the PKCS#12 data cannot be read`,
      { cause },
    );
  }
}

/** Reads a certificate's key from Key Vault with the host's identity (PEM or PKCS#12). */
export async function certificateFromKeyVault(
  keyVaultUrl: string,
  certificateName: string,
  credential: TokenCredential,
): Promise<MsalAppCredential> {
  const url = new URL(keyVaultUrl);
  const client = new SecretClient(keyVaultUrl, credential, {
    // configuration validation admitted only https or loopback http (isSecureOrLoopbackUrl)
    allowInsecureConnection: url.protocol === 'http:' && isSecureOrLoopbackUrl(url),
    // A vault outside *.vault.azure.net (a private endpoint name or a loopback test vault).
    disableChallengeResourceVerification: !url.hostname.endsWith('.vault.azure.net'),
    // A start-up read: fail within seconds rather than minutes; the provider retries later.
    retryOptions: { maxRetries: 2, retryDelayInMs: 200, maxRetryDelayInMs: 1000 },
  });
  const where = `Key Vault certificate ${certificateName}`;
  let secret: Awaited<ReturnType<SecretClient['getSecret']>>;
  try {
    secret = await client.getSecret(certificateName);
  } catch (cause) {
    const status = (cause as { statusCode?: number }).statusCode;
    const why =
      status === 404
        ? 'was not found'
        : status === 403
          ? 'is not readable (no access, or its key is not exportable)'
          : status === 401
            ? "could not be read: the host's identity was refused"
            : 'could not be read (Key Vault unreachable)';
    throw new OutboundCredentialError('certificate_unavailable', `${where} ${why}`, {
      cause,
      retryable: status === undefined || status >= 500,
    });
  }
  if (!secret.value) throw new OutboundCredentialError('certificate_unavailable', `${where} has no value`);
  return secret.properties.contentType === 'application/x-pem-file'
    ? certificateFromPem(secret.value, where)
    : certificateFromPkcs12(secret.value, where);
}

/**
 * Resolves the configured client credential to what msal-node takes. File and secret kinds are
 * resolved now (bad configuration fails at construction); Key Vault is read on first use.
 */
export function resolveAppCredential(
  config: ClientCredentialConfig,
  managedIdentity: (clientId: string | undefined) => TokenCredential = (clientId) =>
    clientId ? new ManagedIdentityCredential({ clientId }) : new ManagedIdentityCredential(),
): MsalAppCredential | (() => Promise<MsalAppCredential>) {
  switch (config.kind) {
    case 'ClientSecret':
      if (!config.secret)
        throw new OutboundCredentialError('app_credential_rejected', 'ClientSecret credential has no secret');
      return { clientSecret: config.secret.reveal() };
    case 'CertificateFile': {
      const path = config.certificatePath ?? '';
      let pem: string;
      try {
        pem = readFileSync(path, 'utf8');
      } catch (cause) {
        throw new OutboundCredentialError(
          'certificate_unavailable',
          `certificate file ${path} cannot be read (${(cause as NodeJS.ErrnoException).code ?? 'error'})`,
          { cause },
        );
      }
      return certificateFromPem(pem, `certificate file ${path}`);
    }
    case 'CertificateKeyVault': {
      const credential = managedIdentity(config.managedIdentityClientId);
      return () =>
        certificateFromKeyVault(config.keyVaultUrl ?? '', config.certificateName ?? '', credential);
    }
    case 'ManagedIdentityAssertion': {
      const credential = managedIdentity(config.managedIdentityClientId);
      return {
        clientAssertion: async () => {
          const token = await credential.getToken(FEDERATED_CREDENTIAL_SCOPE);
          if (!token)
            throw new OutboundCredentialError(
              'provider_unavailable',
              'the managed identity returned no token for the federated credential',
            );
          return token.token;
        },
      };
    }
    default:
      throw new OutboundCredentialError(
        'app_credential_rejected',
        `unknown client credential kind ${config.kind}`,
      );
  }
}
