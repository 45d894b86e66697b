import type { CertificateAuthority } from '../pki.js';
import type { EmulatedApp, EmulatedManagedIdentity, EmulatedUser } from '../types.js';

export interface EntraEmulatorOptions {
  /**
   * The CA to issue the TLS certificate from. Absent: the one in `$MCP_AUTH_KIT_CA_DIR` (set by the
   * vitest global setup), else a new one in memory.
   */
  readonly ca?: CertificateAuthority;
  /** The default tenant's id; random when absent. */
  readonly tenantId?: string;
  /** Lifetime of issued tokens; default 3600. */
  readonly tokenLifetimeSeconds?: number;
  /** Host to listen on; default 127.0.0.1. */
  readonly host?: string;
}

export interface MintUserTokenOptions {
  readonly user: EmulatedUser;
  /** `aud`: the MCP server's client id (v2) or `api://{clientId}` (v1), for example. */
  readonly audience: string;
  readonly scopes?: readonly string[];
  readonly roles?: readonly string[];
  readonly version?: '1.0' | '2.0';
  /** The client app that obtained the token (`azp` / `appid`). */
  readonly clientAppId?: string;
  readonly lifetimeSeconds?: number;
  /** Claims merged last: override anything, or set a claim to `undefined` to drop it. */
  readonly claims?: Readonly<Record<string, unknown>>;
  readonly header?: Readonly<Record<string, unknown>>;
}

export interface MintAppTokenOptions {
  readonly app: EmulatedApp | EmulatedManagedIdentity;
  readonly audience: string;
  readonly roles?: readonly string[];
  readonly version?: '1.0' | '2.0';
  readonly lifetimeSeconds?: number;
  readonly claims?: Readonly<Record<string, unknown>>;
  readonly header?: Readonly<Record<string, unknown>>;
}
