import type { TokenCredential } from '@azure/core-auth';
import {
  type AuthContextAccessor,
  defaultAuthContextAccessor,
  type ITokenCredentialProvider,
  type OutboundIdentityDescription,
  type RequestAuthContext,
} from '@mcp-auth-kit/auth-core';

/**
 * `outboundAuthentication.appOnlyCallers: "ManagedIdentity"`: a caller with an application token
 * (app roles, no user: nobody to act On-Behalf-Of) is served with the host's identity; every user
 * still goes through On-Behalf-Of as themselves.
 */
export class AppOnlyAsHostProvider implements ITokenCredentialProvider {
  readonly type: string;
  readonly actsFor = 'caller';
  readonly #accessor: AuthContextAccessor;

  constructor(
    private readonly users: ITokenCredentialProvider,
    private readonly host: ITokenCredentialProvider,
    accessor: AuthContextAccessor = defaultAuthContextAccessor,
  ) {
    this.type = users.type;
    this.#accessor = accessor;
  }

  identityFor(context?: RequestAuthContext): 'caller' | 'host' {
    const caller = context ?? this.#accessor.current();
    return caller?.principal.kind === 'app' ? 'host' : 'caller';
  }

  getTokenCredential(context?: RequestAuthContext): TokenCredential {
    const caller = context ?? this.#accessor.current();
    return this.identityFor(caller) === 'host'
      ? this.host.getTokenCredential()
      : this.users.getTokenCredential(caller);
  }

  describe(context?: RequestAuthContext): OutboundIdentityDescription {
    const caller = context ?? this.#accessor.current();
    return this.identityFor(caller) === 'host' ? this.host.describe() : this.users.describe(caller);
  }

  ready(): Promise<void> {
    return this.users.ready?.() ?? Promise.resolve();
  }

  /** The users' provider's app credential (the one On-Behalf-Of uses). */
  async verifyAppCredential(): Promise<void> {
    await this.users.verifyAppCredential?.();
  }

  async probe(): Promise<void> {
    await (this.users.probe?.() ?? this.users.ready?.());
    await (this.host.probe?.() ?? this.host.ready?.());
  }

  async close(): Promise<void> {
    await this.users.close?.();
    await this.host.close?.();
  }
}
