import type { TokenCredential } from '@azure/core-auth';
import { ManagedIdentityCredential } from '@azure/identity';
import type { ITokenCredentialProvider, OutboundIdentityDescription } from '@mcp-auth-kit/auth-core';

export interface ManagedIdentityCredentialProviderOptions {
  /** A user-assigned identity's client id; absent for the system-assigned identity. */
  readonly clientId?: string;
  /** The credential to use instead of `@azure/identity`'s ManagedIdentityCredential (tests, custom hosts). */
  readonly credential?: TokenCredential;
}

/** Outbound calls as the host's managed identity: one credential for the whole process. */
export class ManagedIdentityCredentialProvider implements ITokenCredentialProvider {
  readonly type = 'ManagedIdentity';
  readonly actsFor = 'host';
  readonly #credential: TokenCredential;
  readonly #clientId: string | undefined;

  constructor(options: ManagedIdentityCredentialProviderOptions = {}) {
    this.#clientId = options.clientId;
    this.#credential =
      options.credential ??
      (options.clientId
        ? new ManagedIdentityCredential({ clientId: options.clientId })
        : new ManagedIdentityCredential());
  }

  #usableUntilMs = 0;

  /** Asks the managed identity endpoint for a token (for Azure Resource Manager; any identity gets one); a success counts for a minute. */
  async probe(): Promise<void> {
    if (Date.now() < this.#usableUntilMs) return;
    const token = await this.#credential.getToken('https://management.azure.com/.default');
    if (!token) throw new Error('the managed identity endpoint gave no token');
    this.#usableUntilMs = Date.now() + 60_000;
  }

  getTokenCredential(): TokenCredential {
    return this.#credential;
  }

  describe(): OutboundIdentityDescription {
    return {
      type: this.type,
      identity: this.#clientId
        ? `managed identity (user-assigned, client id ${this.#clientId})`
        : 'managed identity (system-assigned)',
    };
  }
}
