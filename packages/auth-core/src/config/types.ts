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

interface InboundCommon {
  /** The section's free-form `settings` (for types an application registers). */
  readonly settings: Readonly<Record<string, unknown>> | undefined;
}

/** `inboundAuthentication` with `type: "JwtBearerScheme"`: Entra ID bearer tokens, `azureAd` validated. */
export interface JwtBearerSchemeInboundConfig extends InboundCommon {
  readonly type: 'JwtBearerScheme';
  readonly azureAd: AzureAdConfig;
}

/** `inboundAuthentication` with `type: "None"` (loopback development only). */
export interface NoneInboundConfig extends InboundCommon {
  readonly type: 'None';
  readonly azureAd: undefined;
}

/** `inboundAuthentication` of a type the application registered (`extraInboundTypes`). */
export interface CustomInboundConfig<Type extends string = string> extends InboundCommon {
  readonly type: Type;
  readonly azureAd: AzureAdConfig | undefined;
}

/**
 * Validated `inboundAuthentication`, discriminated by `type`: narrowing on `type` gives what
 * validation proved (a JwtBearerScheme section always has `azureAd`). `Custom` names the types an
 * application registered; none by default.
 */
export type InboundAuthenticationConfig<Custom extends string = never> =
  | JwtBearerSchemeInboundConfig
  | NoneInboundConfig
  | ([Custom] extends [never] ? never : CustomInboundConfig<Custom>);

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

interface OutboundCommon {
  /** The section's free-form `settings` (for types an application registers). */
  readonly settings: Readonly<Record<string, unknown>> | undefined;
}

/** The app registration that acts for the caller: `inboundAuthentication.azureAd` with its client id. */
export type OnBehalfOfAppConfig = AzureAdConfig & { readonly clientId: string };

/** `outboundAuthentication` with `type: "JwtObo"`: On-Behalf-Of as the caller. */
export interface JwtOboOutboundConfig extends OutboundCommon {
  readonly type: 'JwtObo';
  readonly clientId: undefined;
  readonly clientCredential: ClientCredentialConfig;
  /** A token cache shared by replicas. */
  readonly tokenCache: TokenCacheConfig | undefined;
  /**
   * Callers with an application token (no user to act for): refused at the door with 403
   * (`Refuse`, the default), or served with the host's managed identity (`ManagedIdentity`).
   */
  readonly appOnlyCallers: 'Refuse' | 'ManagedIdentity';
  /** The inbound app registration (validation proved it has a client id): it acts for the caller. */
  readonly app: OnBehalfOfAppConfig;
}

/** `outboundAuthentication` with `type: "ManagedIdentity"`: the host's identity. */
export interface ManagedIdentityOutboundConfig extends OutboundCommon {
  readonly type: 'ManagedIdentity';
  /** A user-assigned managed identity's client id; undefined for the system-assigned one. */
  readonly clientId: string | undefined;
  readonly clientCredential: undefined;
  readonly tokenCache: undefined;
}

/** `outboundAuthentication` with `type: "JwtPassthrough"` or `"Default"`: no further fields. */
export interface PlainOutboundConfig<Type extends 'JwtPassthrough' | 'Default'> extends OutboundCommon {
  readonly type: Type;
  readonly clientId: undefined;
  readonly clientCredential: undefined;
  readonly tokenCache: undefined;
}

/** `outboundAuthentication` of a type the application registered (`extraOutboundTypes`). */
export interface CustomOutboundConfig<Type extends string = string> extends OutboundCommon {
  readonly type: Type;
  readonly clientId: string | undefined;
  readonly clientCredential: ClientCredentialConfig | undefined;
  readonly tokenCache: TokenCacheConfig | undefined;
}

/** Validated `outboundAuthentication`, discriminated by `type` (see InboundAuthenticationConfig). */
export type OutboundAuthenticationConfig<Custom extends string = never> =
  | JwtOboOutboundConfig
  | ManagedIdentityOutboundConfig
  | PlainOutboundConfig<'JwtPassthrough'>
  | PlainOutboundConfig<'Default'>
  | ([Custom] extends [never] ? never : CustomOutboundConfig<Custom>);

/** A validated server configuration (the `appsettings.json` shape of the source document). */
export interface ServerConfig<CustomInbound extends string = never, CustomOutbound extends string = never> {
  readonly inboundAuthentication: InboundAuthenticationConfig<CustomInbound>;
  readonly outboundAuthentication: OutboundAuthenticationConfig<CustomOutbound>;
}

/** Any validated configuration, whatever types the application registered (what factories accept). */
export type AnyServerConfig = ServerConfig<string, string>;

/** Options of `parseServerConfig` (and `loadServerConfigFile`). */
export interface ParseServerConfigOptions<
  CustomInbound extends string = never,
  CustomOutbound extends string = never,
> {
  /** Where secrets given as `{ "fromEnv": "NAME" }` are read; defaults to `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Shown in error messages (a file name); never the content. */
  readonly source?: string;
  /** Inbound types registered by the application besides the built-in ones. */
  readonly extraInboundTypes?: readonly CustomInbound[];
  /** Outbound types registered by the application besides the built-in ones. */
  readonly extraOutboundTypes?: readonly CustomOutbound[];
}
