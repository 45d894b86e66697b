// The managed identity endpoint, where the configuration uses one.
import { ManagedIdentityCredential } from '@azure/identity';
import { type AnyServerConfig, safeErrorMessage } from '@mcp-auth-kit/auth-core';
import type { CheckResult } from './types.js';

export async function checkManagedIdentity(config: AnyServerConfig, timeoutMs: number): Promise<CheckResult> {
  const name = 'managed identity';
  const outbound = config.outboundAuthentication;
  const credential = outbound.clientCredential;
  const clientId =
    outbound.type === 'ManagedIdentity'
      ? outbound.clientId
      : credential &&
          (credential.kind === 'CertificateKeyVault' || credential.kind === 'ManagedIdentityAssertion')
        ? credential.managedIdentityClientId
        : null;
  if (clientId === null)
    return { name, status: 'skip', detail: 'the configuration uses no managed identity' };
  const source = process.env.IDENTITY_ENDPOINT
    ? `App Service endpoint ${process.env.IDENTITY_ENDPOINT}`
    : process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST
      ? `IMDS at ${process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST}`
      : 'IMDS (169.254.169.254)';
  const mi = clientId ? new ManagedIdentityCredential({ clientId }) : new ManagedIdentityCredential();
  try {
    const token = await mi.getToken('https://management.azure.com/.default', {
      abortSignal: AbortSignal.timeout(timeoutMs),
    });
    if (!token) throw new Error('no token');
    return {
      name,
      status: 'pass',
      detail: `${clientId ? `user-assigned ${clientId}` : 'system-assigned'} via ${source}`,
    };
  } catch (error) {
    return {
      name,
      status: 'fail',
      detail: `${clientId ? `user-assigned ${clientId}` : 'system-assigned'} via ${source}: ${safeErrorMessage(
        error,
        { withName: false },
      )
        .split('\n')[0]!
        .slice(0, 200)}`,
      fix: 'run on a host with that identity assigned (App Service, Container Apps, AKS workload identity, a VM), or check its client id',
    };
  }
}

/** The On-Behalf-Of app credential: loaded (Key Vault, file, federated assertion) and accepted by Entra ID. */
