import type { TokenCredential } from '@azure/core-auth';
import { DefaultAzureCredential } from '@azure/identity';
import type { ITokenCredentialProvider, OutboundIdentityDescription } from '@mcp-auth-kit/auth-core';

/** Outbound calls with DefaultAzureCredential (environment, workload identity, managed identity, Azure CLI…): for local development. */
export class DefaultCredentialProvider implements ITokenCredentialProvider {
  readonly type = 'Default';
  readonly actsFor = 'host';
  readonly #credential = new DefaultAzureCredential();

  getTokenCredential(): TokenCredential {
    return this.#credential;
  }

  describe(): OutboundIdentityDescription {
    return { type: this.type, identity: 'DefaultAzureCredential (the developer or host identity)' };
  }
}
