import type { SecretValue } from './SecretValue.js';
import type { JWT_ALGORITHMS } from './schema.js';

export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

/** Validated `inboundAuthentication.azureAd`, with defaults filled in. */
export interface AzureAdConfig {
  /** Authority host with a trailing slash, e.g. `https://login.microsoftonline.com/`. */
  readonly instance: string;
  /** A tenant GUID, or `organizations` / `common` (then `allowedTenants` is required). */
  readonly tenantId: string;
  readonly clientId: string | undefined;
  readonly audience: string | undefined;
  /** The caller needs at least one of these app roles; empty means no role is required. */
  readonly requiredRoles: readonly string[];
  /** The caller needs at least one of these delegated scopes; empty means none is required. */
  readonly requiredScopes: readonly string[];
  /** Tenants accepted when `tenantId` is `organizations` or `common`. */
  readonly allowedTenants: readonly string[];
  readonly clockSkewSeconds: number;
  readonly allowedAlgorithms: readonly JwtAlgorithm[];
}

export interface InboundAuthenticationConfig {
  readonly type: string;
  readonly azureAd: AzureAdConfig | undefined;
  readonly settings: Readonly<Record<string, unknown>> | undefined;
}

export interface ClientCredentialConfig {
  readonly kind: string;
  readonly secret: SecretValue | undefined;
  readonly keyVaultUrl: string | undefined;
  readonly certificateName: string | undefined;
  readonly certificatePath: string | undefined;
  readonly managedIdentityClientId: string | undefined;
}

/** Validated `outboundAuthentication.tokenCache`. */
export interface TokenCacheConfig {
  readonly type: 'Redis';
  readonly url: SecretValue;
  /** The 32-byte AES key, base64 in `reveal()`. */
  readonly encryptionKey: SecretValue;
  readonly keyPrefix: string;
}

export interface OutboundAuthenticationConfig {
  readonly type: string;
  /** User-assigned managed identity's client id (ManagedIdentity only). */
  readonly clientId: string | undefined;
  readonly clientCredential: ClientCredentialConfig | undefined;
  /** A token cache shared by replicas (JwtObo only). */
  readonly tokenCache: TokenCacheConfig | undefined;
  readonly settings: Readonly<Record<string, unknown>> | undefined;
}

/** A validated server configuration (the `appsettings.json` shape of the source document). */
export interface ServerConfig {
  readonly inboundAuthentication: InboundAuthenticationConfig;
  readonly outboundAuthentication: OutboundAuthenticationConfig;
}
