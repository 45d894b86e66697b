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
  readonly endpoint: 'discovery' | 'jwks' | 'token' | 'managedIdentity' | 'keyVault' | 'other';
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
