// The app's own credential, accepted by Entra ID (JwtObo): a client-credentials request for the app itself.
import type { ITokenCredentialProvider } from '@mcp-auth-kit/auth-core';
import { outboundCause } from './causes.js';
import type { CheckResult } from './types.js';

export async function checkAppCredential(provider: ITokenCredentialProvider): Promise<CheckResult> {
  const name = 'app credential (On-Behalf-Of)';
  // asked through the interface: providers with an app credential of their own can prove it
  if (!provider.verifyAppCredential) {
    return { name, status: 'skip', detail: 'outbound is not JwtObo' };
  }
  try {
    await provider.verifyAppCredential();
    return {
      name,
      status: 'pass',
      detail: 'loaded, and accepted by Entra ID (a client-credentials request for the app itself)',
    };
  } catch (error) {
    return {
      name,
      status: 'fail',
      ...outboundCause(error),
      fix: outboundCause(error).fix ?? 'check clientCredential',
    };
  }
}

/** With a user's token: one On-Behalf-Of exchange for the database, and one login as that user. */
