import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { JWTPayload } from 'jose';
import { HttpError } from '../http.js';
import { type CertificateWithKey, toPkcs12Base64 } from '../pki.js';
import { type EmulatorContext, KEY_VAULT_RESOURCE, type KeyVaultSecret } from './internals.js';

/** A secret as `setSecret` stores it: a new version each time. */
export function plainSecret(value: string, contentType: string | undefined): KeyVaultSecret {
  return { value, contentType, version: randomBytes(16).toString('hex'), exportable: true, managed: false };
}

/** A certificate's secret as Key Vault keeps it: PEM (key then certificate) or base64 PKCS#12 (its default). */
export function certificateSecret(
  certificate: CertificateWithKey,
  options: { format?: 'pem' | 'pkcs12'; exportable?: boolean },
): KeyVaultSecret {
  const format = options.format ?? 'pkcs12';
  return {
    value:
      format === 'pem'
        ? `${certificate.privateKeyPem.trim()}\n${certificate.certificatePem.trim()}\n`
        : toPkcs12Base64(certificate),
    contentType: format === 'pem' ? 'application/x-pem-file' : 'application/x-pkcs12',
    version: randomBytes(16).toString('hex'),
    exportable: options.exportable ?? true,
    managed: true,
  };
}

export async function keyVault(
  ctx: EmulatorContext,

  req: IncomingMessage,
  parts: string[],
  record: { grant?: string; clientId?: string; objectId?: string; scope?: string },
): Promise<Record<string, unknown>> {
  const challenge = {
    'www-authenticate': `Bearer authorization="${ctx.emulator.authority()}", resource="${KEY_VAULT_RESOURCE}"`,
  };
  const auth = req.headers.authorization;
  if (!auth?.startsWith('Bearer ')) {
    throw new HttpError(
      401,
      { error: { code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer or PoP token.' } },
      challenge,
    );
  }
  let claims: JWTPayload;
  try {
    claims = await ctx.emulator.verify(auth.slice('Bearer '.length), { audience: KEY_VAULT_RESOURCE });
  } catch {
    throw new HttpError(
      401,
      {
        error: {
          code: 'Unauthorized',
          message: 'AKV10022: Invalid audience, issuer, signature or lifetime.',
        },
      },
      challenge,
    );
  }
  record.objectId = typeof claims.oid === 'string' ? claims.oid : undefined;
  const name = parts[1] ?? '';
  record.scope = name;
  const secret = ctx.secrets.get(name);
  if (!secret) {
    throw new HttpError(404, {
      error: {
        code: 'SecretNotFound',
        message: `A secret with (name/id) ${name} was not found in this key vault.`,
      },
    });
  }
  if (!secret.exportable) {
    throw new HttpError(403, {
      error: { code: 'Forbidden', message: `The private key of certificate ${name} is not exportable.` },
    });
  }
  return {
    value: secret.value,
    contentType: secret.contentType,
    id: `${ctx.emulator.httpsUrl}/secrets/${name}/${secret.version}`,
    attributes: {
      enabled: true,
      created: 1_700_000_000,
      updated: 1_700_000_000,
      recoveryLevel: 'Recoverable+Purgeable',
    },
    ...(secret.managed
      ? { managed: true, kid: `${ctx.emulator.httpsUrl}/keys/${name}/${secret.version}` }
      : {}),
  };
}
