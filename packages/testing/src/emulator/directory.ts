// The emulated directory's objects: users, app registrations (with Entra's defaults) and the
// host's managed identities.
import { randomUUID } from 'node:crypto';
import { thumbprints } from '../pki.js';
import type { EmulatedApp, EmulatedManagedIdentity, EmulatedUser } from '../types.js';

export interface AppRegistrationOptions {
  readonly clientId?: string;
  readonly displayName?: string;
  readonly secret?: string;
  readonly certificatePem?: string;
  readonly federatedManagedIdentity?: EmulatedManagedIdentity;
  readonly roles?: readonly string[];
  readonly tenantId?: string;
  readonly identifierUris?: readonly string[];
  readonly exposedScopes?: readonly string[];
  readonly redirectUris?: readonly string[];
  readonly publicClient?: boolean;
  readonly accessTokenVersion?: 1 | 2;
}

/** An app registration with Entra's defaults: `api://{clientId}`, `access_as_user`, v2 tokens. */
export function newApp(options: AppRegistrationOptions, defaultTenantId: string): EmulatedApp {
  const clientId = (options.clientId ?? randomUUID()).toLowerCase();
  return {
    clientId,
    tenantId: (options.tenantId ?? defaultTenantId).toLowerCase(),
    objectId: randomUUID(),
    displayName: options.displayName ?? 'app',
    secret: options.secret,
    certificatePem: options.certificatePem,
    certificateThumbprintSha256: options.certificatePem
      ? thumbprints(options.certificatePem).thumbprintSha256
      : undefined,
    federatedManagedIdentityObjectId: options.federatedManagedIdentity?.objectId,
    roles: options.roles ?? [],
    identifierUris: options.identifierUris ?? [`api://${clientId}`],
    exposedScopes: options.exposedScopes ?? ['access_as_user'],
    redirectUris: options.redirectUris ?? [],
    publicClient: options.publicClient ?? false,
    accessTokenVersion: options.accessTokenVersion ?? 2,
  };
}

export interface NewUserOptions {
  readonly userPrincipalName: string;
  readonly name?: string;
  readonly objectId?: string;
  readonly tenantId?: string;
}

/** A user; `name` defaults to the part of the UPN before `@`. */
export function newUser(options: NewUserOptions, defaultTenantId: string): EmulatedUser {
  return {
    objectId: (options.objectId ?? randomUUID()).toLowerCase(),
    tenantId: (options.tenantId ?? defaultTenantId).toLowerCase(),
    userPrincipalName: options.userPrincipalName,
    name: options.name ?? options.userPrincipalName.split('@')[0]!,
  };
}

/** A managed identity of the emulated host (system-assigned or user-assigned). */
export function newIdentity(
  name: string,
  kind: 'system' | 'user',
  clientId: string | undefined,
  tenantId: string,
): EmulatedManagedIdentity {
  return { name, kind, clientId: (clientId ?? randomUUID()).toLowerCase(), objectId: randomUUID(), tenantId };
}
