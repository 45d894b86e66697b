import { createPublicKey, sign as cryptoSign, generateKeyPairSync, randomBytes } from 'node:crypto';
import { compactVerify, decodeProtectedHeader, type JWK, type JWTPayload } from 'jose';
import { compact, type SigningKey } from './internals.js';
import type { MintAppTokenOptions, MintUserTokenOptions } from './options.js';

/** What claim building needs from the emulator. */
export interface ClaimsContext {
  readonly lifetimeSeconds: number;
  issuerV1(tenantId: string): string;
  issuerV2(tenantId: string): string;
}

/** A fresh RS256 signing key and its public JWK. */
export function newSigningKey(): SigningKey {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = randomBytes(12).toString('base64url');
  const jwk = {
    ...(createPublicKey(privateKey).export({ format: 'jwk' }) as JWK),
    kid,
    use: 'sig',
    alg: 'RS256',
  };
  return { kid, privateKey, jwk };
}

/** Signs exactly the given header and payload (RS256), with no checks at all. */
export function signRawWith(
  key: SigningKey,
  header: Readonly<Record<string, unknown>>,
  payload: unknown,
): string {
  const encode = (v: unknown) =>
    Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
  const input = `${encode({ alg: 'RS256', kid: key.kid, ...header })}.${encode(payload)}`;
  const signature = cryptoSign('sha256', Buffer.from(input), key.privateKey).toString('base64url');
  return `${input}.${signature}`;
}

/** A delegated (user) access token's claims, as Entra issues them for the given version. */
export function userTokenClaims(options: MintUserTokenOptions, ctx: ClaimsContext): JWTPayload {
  const now = Math.floor(Date.now() / 1000);
  const lifetime = options.lifetimeSeconds ?? ctx.lifetimeSeconds;
  const version = options.version ?? '2.0';
  const user = options.user;
  const clientAppId = options.clientAppId ?? '04b07795-8ddb-461a-bbee-02f9e1bf7b46';
  const common: Record<string, unknown> = {
    aud: options.audience,
    iat: now,
    nbf: now,
    exp: now + lifetime,
    tid: user.tenantId,
    oid: user.objectId,
    sub: `sub-${user.objectId}`,
    name: user.name,
    scp: (options.scopes ?? ['access_as_user']).join(' ') || undefined,
    roles: options.roles && options.roles.length > 0 ? [...options.roles] : undefined,
    uti: randomBytes(16).toString('base64url'),
    ver: version,
  };
  const versioned =
    version === '2.0'
      ? {
          iss: ctx.issuerV2(user.tenantId),
          azp: clientAppId,
          azpacr: '0',
          preferred_username: user.userPrincipalName,
        }
      : {
          iss: ctx.issuerV1(user.tenantId),
          appid: clientAppId,
          appidacr: '0',
          upn: user.userPrincipalName,
          unique_name: user.userPrincipalName,
        };
  return compact({ ...common, ...versioned, ...options.claims });
}

/** An application (app-only) access token's claims: `roles`, no `scp`, `idtyp: app`. */
export function appTokenClaims(options: MintAppTokenOptions, ctx: ClaimsContext): JWTPayload {
  const now = Math.floor(Date.now() / 1000);
  const lifetime = options.lifetimeSeconds ?? ctx.lifetimeSeconds;
  const version = options.version ?? '2.0';
  const app = options.app;
  const common: Record<string, unknown> = {
    aud: options.audience,
    iat: now,
    nbf: now,
    exp: now + lifetime,
    tid: app.tenantId,
    oid: app.objectId,
    sub: app.objectId,
    idtyp: 'app',
    roles: options.roles && options.roles.length > 0 ? [...options.roles] : undefined,
    uti: randomBytes(16).toString('base64url'),
    ver: version,
  };
  const versioned =
    version === '2.0'
      ? { iss: ctx.issuerV2(app.tenantId), azp: app.clientId, azpacr: '1' }
      : { iss: ctx.issuerV1(app.tenantId), appid: app.clientId, appidacr: '1' };
  return compact({ ...common, ...versioned, ...options.claims });
}

/** Verifies a token signed with one of `keys` (audience and expiry as asked); throws when invalid. */
export async function verifyWithKeys(
  keys: readonly SigningKey[],
  token: string,
  options: { audience?: string; ignoreExpiry?: boolean },
): Promise<JWTPayload> {
  const { kid } = decodeProtectedHeader(token);
  const key = keys.find((k) => k.kid === kid);
  if (!key) throw new Error('unknown signing key');
  const { payload: bytes } = await compactVerify(token, createPublicKey(key.privateKey), {
    algorithms: ['RS256'],
  });
  const payload = JSON.parse(new TextDecoder().decode(bytes)) as JWTPayload;
  if (options.audience !== undefined) {
    const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    if (!audiences.includes(options.audience)) throw new Error('wrong audience');
  }
  if (!options.ignoreExpiry && (typeof payload.exp !== 'number' || payload.exp * 1000 <= Date.now())) {
    throw new Error('expired');
  }
  return payload;
}
