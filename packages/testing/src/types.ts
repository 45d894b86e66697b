/** A user of the emulated directory. */
export interface EmulatedUser {
  readonly objectId: string;
  readonly tenantId: string;
  readonly userPrincipalName: string;
  readonly name: string;
}

/** An app registration: the MCP server's own app, or a client app. */
export interface EmulatedApp {
  readonly clientId: string;
  readonly tenantId: string;
  /** The service principal's object id (the `oid` of its app-only tokens). */
  readonly objectId: string;
  readonly displayName: string;
  readonly secret: string | undefined;
  /** Upper-case hex SHA-256 thumbprint of the registered certificate. */
  readonly certificateThumbprintSha256: string | undefined;
  readonly certificatePem: string | undefined;
  /** Object id of a managed identity trusted through a federated credential. */
  readonly federatedManagedIdentityObjectId: string | undefined;
  /** App roles granted to this app for app-only (client_credentials) tokens. */
  readonly roles: readonly string[];
  /** Application ID URIs (default `api://{clientId}`): the prefix of its scopes and the `resource` it answers to. */
  readonly identifierUris: readonly string[];
  /** Delegated scopes the app exposes (default `access_as_user`). */
  readonly exposedScopes: readonly string[];
  /** Redirect URIs for the authorization code flow (exact match; loopback any port for public clients). */
  readonly redirectUris: readonly string[];
  /** A public client (no secret; Entra's loopback redirect rule applies). */
  readonly publicClient: boolean;
  /** `accessTokenAcceptedVersion`: tokens for this app are v1 (aud = identifier URI) or v2 (aud = client id). */
  readonly accessTokenVersion: 1 | 2;
}

/** A managed identity of the emulated host. */
export interface EmulatedManagedIdentity {
  readonly name: string;
  readonly clientId: string;
  readonly objectId: string;
  readonly tenantId: string;
  readonly kind: 'system' | 'user';
}

/** One request the emulator answered, for asserting how often a library really asked. */
export interface RecordedRequest {
  readonly endpoint:
    | 'discovery'
    | 'jwks'
    | 'authorize'
    | 'token'
    | 'managedIdentity'
    | 'keyVault'
    | 'arm'
    | 'other';
  readonly method: string;
  readonly path: string;
  readonly status: number;
  /** For token requests: `on_behalf_of`, `client_credentials`, or the raw grant type. */
  readonly grant: string | undefined;
  readonly clientId: string | undefined;
  /** The user (or identity) the request was for, when known. */
  readonly objectId: string | undefined;
  readonly scope: string | undefined;
  readonly atMs: number;
}
