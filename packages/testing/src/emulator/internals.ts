import type { KeyObject } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JWK, JWTPayload } from 'jose';
import type { EmulatedApp, EmulatedManagedIdentity, EmulatedUser, RecordedRequest } from '../types.js';
import type { ClientIdMetadataDocuments } from './cimd.js';
import type { MintAppTokenOptions, MintUserTokenOptions } from './options.js';

/** What the route handlers use of the emulator's public face (an interface: no import of the class). */
export interface EmulatorFace {
  readonly httpsUrl: string;
  readonly tenantId: string;
  readonly identityHeader: string;
  readonly tokenLifetimeSeconds: number;
  readonly systemAssignedIdentity: EmulatedManagedIdentity;
  authority(tenantId?: string): string;
  jwks(): { keys: JWK[] };
  sign(payload: JWTPayload, header?: Readonly<Record<string, unknown>>): Promise<string>;
  mintUserToken(options: MintUserTokenOptions): Promise<string>;
  mintAppToken(options: MintAppTokenOptions): Promise<string>;
  verify(token: string, options?: { audience?: string; ignoreExpiry?: boolean }): Promise<JWTPayload>;
}

/** An authorization code waiting to be redeemed (single use, ten minutes). */
export interface IssuedCode {
  /** The app id (for a metadata-document client, its agent identity's). */
  readonly clientId: string;
  readonly redirectUri: string;
  readonly codeChallenge: string;
  readonly scopes: readonly string[];
  readonly resourceApp: EmulatedApp | undefined;
  readonly user: EmulatedUser;
  readonly nonce: string | undefined;
  readonly expiresAtMs: number;
  /** The user completed multi-factor authentication at this sign-in (`amr` gets `mfa`). */
  readonly mfa: boolean;
  redeemed: boolean;
}

/** A refresh token (24 hours; a refresh returns a new one, as Entra ID does). */
export interface IssuedRefreshToken {
  readonly clientId: string;
  /** The resource app and scope names the user granted at sign-in (what `.default` stands for). */
  readonly resourceApp: EmulatedApp | undefined;
  readonly granted: readonly string[];
  readonly user: EmulatedUser;
  readonly expiresAtMs: number;
  readonly mfa: boolean;
}

/** Where the authorization-code state lives (bounded: the oldest entries go first). */
export interface AuthorizationState {
  readonly codes: Map<string, IssuedCode>;
  readonly refreshTokens: Map<string, IssuedRefreshToken>;
}

/** What the route handlers see of the emulator: its public face and its directory. */
export interface EmulatorContext {
  readonly emulator: EmulatorFace;
  readonly apps: ReadonlyMap<string, EmulatedApp>;
  readonly users: ReadonlyMap<string, EmulatedUser>;
  readonly revokedUsers: ReadonlySet<string>;
  /** Users a Conditional Access policy requires multi-factor authentication for (object id → policy id). */
  readonly mfaRequired: ReadonlyMap<string, string>;
  readonly identities: ReadonlyMap<string, EmulatedManagedIdentity>;
  readonly secrets: ReadonlyMap<string, KeyVaultSecret>;
  keys(): readonly SigningKey[];
  /** Authorization codes and refresh tokens issued so far (bounded). */
  readonly authorization: AuthorizationState;
  /** Client ID Metadata Documents: the tenant's switch, agent identities, consent. */
  readonly cimd: ClientIdMetadataDocuments;
}

export interface SigningKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly jwk: JWK;
}

export interface KeyVaultSecret {
  readonly value: string;
  readonly contentType: string | undefined;
  readonly version: string;
  readonly exportable: boolean;
  readonly managed: boolean;
}

export const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access']);
export const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
export const FIC_AUDIENCE = 'api://AzureADTokenExchange';
export const KEY_VAULT_RESOURCE = 'https://vault.azure.net';

export function resourceOf(scopeOrResource: string): string {
  const first = scopeOrResource
    .split(' ')
    .find((s) => s !== '' && !['openid', 'profile', 'offline_access'].includes(s));
  if (!first) return '';
  return first.endsWith('/.default')
    ? first.slice(0, -'/.default'.length)
    : first.replace(/\/[^/]*$/, '') || first;
}

export function classify(pathname: string): RecordedRequest['endpoint'] {
  if (pathname.endsWith('/.well-known/openid-configuration')) return 'discovery';
  if (pathname.endsWith('/discovery/v2.0/keys') || pathname.endsWith('/discovery/keys')) return 'jwks';
  if (pathname === '/msi/token' || pathname.startsWith('/metadata/identity/oauth2/token'))
    return 'managedIdentity';
  if (pathname.endsWith('/oauth2/v2.0/token') || pathname.endsWith('/oauth2/token')) return 'token';
  if (pathname.endsWith('/oauth2/v2.0/authorize')) return 'authorize';
  if (pathname.startsWith('/secrets/')) return 'keyVault';
  if (pathname === '/subscriptions' || pathname.startsWith('/subscriptions/')) return 'arm';
  return 'other';
}

export function tokenResponse(
  accessToken: string,
  scope: string,
  lifetimeSeconds: number,
): Record<string, unknown> {
  return {
    token_type: 'Bearer',
    scope,
    expires_in: lifetimeSeconds,
    ext_expires_in: lifetimeSeconds,
    access_token: accessToken,
  };
}

export function compact(record: Record<string, unknown>): JWTPayload {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as JWTPayload;
}

export function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

export function listen(server: Server, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve((server.address() as AddressInfo).port));
  });
}

export function closeServer(server: Server | undefined): Promise<void> {
  return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
}
