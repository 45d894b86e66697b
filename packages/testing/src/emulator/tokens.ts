import { randomBytes } from 'node:crypto';
import type { JWTPayload } from 'jose';
import { compact } from './internals.js';
import type { MintAppTokenOptions, MintUserTokenOptions } from './options.js';

/** What claim building needs from the emulator. */
export interface ClaimsContext {
  readonly lifetimeSeconds: number;
  issuerV1(tenantId: string): string;
  issuerV2(tenantId: string): string;
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
