import type { AccessToken, TokenCredential } from '@azure/core-auth';
import type { Logger } from '@mcp-auth-kit/auth-core';
import {
  type AuthContextAccessor,
  defaultAuthContextAccessor,
  type ITokenCredentialProvider,
  type OutboundIdentityDescription,
  type RequestAuthContext,
} from '@mcp-auth-kit/auth-core';
import { OutboundCredentialError } from './errors.js';
import { consoleWarnLogger } from './logger.js';
import { normaliseScopes, resourceOfScope } from './scopes.js';

export interface JwtPassthroughCredentialProviderOptions {
  readonly accessor?: AuthContextAccessor;
  readonly logger?: Logger;
  /** The clock, in milliseconds (the caller token's expiry check); default `Date.now`. */
  readonly now?: () => number;
}

/**
 * The caller's own validated token, handed only to the resource its `aud` names. The MCP
 * authorization spec forbids passing a client's token to other services; use JwtObo for those.
 */
export class JwtPassthroughCredentialProvider implements ITokenCredentialProvider {
  readonly type = 'JwtPassthrough';
  readonly actsFor = 'caller';
  readonly #accessor: AuthContextAccessor;
  readonly #now: () => number;

  constructor(options: JwtPassthroughCredentialProviderOptions = {}) {
    this.#accessor = options.accessor ?? defaultAuthContextAccessor;
    this.#now = options.now ?? Date.now;
    (options.logger ?? consoleWarnLogger).warn(
      "JwtPassthroughCredentialProvider: outbound calls reuse the caller's own token; it is only handed to the resource the token was issued for. Use JwtObo to call other services as the caller.",
    );
  }

  getTokenCredential(context?: RequestAuthContext): TokenCredential {
    const caller = context ?? this.#accessor.current();
    return {
      getToken: async (scopes): Promise<AccessToken> => {
        if (!caller) {
          throw new OutboundCredentialError(
            'no_caller_context',
            "JwtPassthrough needs the caller's token, but runs outside an authenticated request",
          );
        }
        // A token for several audiences is accepted by each of them: handing it to one would hand
        // the others' access along with it.
        if (Array.isArray(caller.claims.aud) && caller.claims.aud.length !== 1) {
          throw new OutboundCredentialError(
            'passthrough_refused',
            'JwtPassthrough refuses to pass on the caller\'s token: it names several audiences. Configure outboundAuthentication.type "JwtObo" to call other resources as the caller.',
          );
        }
        for (const scope of normaliseScopes(scopes)) {
          const resource = resourceOfScope(scope);
          if (resource !== caller.audience) {
            throw new OutboundCredentialError(
              'passthrough_refused',
              `JwtPassthrough refuses to send the caller's token to ${resource}: it was issued for another audience, and the MCP authorization spec forbids passing it on. Configure outboundAuthentication.type "JwtObo" to call that resource as the caller.`,
            );
          }
        }
        if (caller.expiresOnTimestampMs <= this.#now()) {
          throw new OutboundCredentialError('caller_token_rejected', "the caller's token has expired");
        }
        return {
          token: caller.rawToken,
          expiresOnTimestamp: caller.expiresOnTimestampMs,
          tokenType: 'Bearer',
        };
      },
    };
  }

  describe(context?: RequestAuthContext): OutboundIdentityDescription {
    const caller = context ?? this.#accessor.current();
    const who = caller?.principal.userPrincipalName ?? caller?.principal.objectId ?? 'the caller';
    return {
      type: this.type,
      identity: `${who} (own token, only for ${caller?.audience ?? 'its own audience'})`,
    };
  }
}
