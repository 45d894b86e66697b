// The kit's side of the façade: which bearer tokens are accepted at the MCP endpoint, and the
// On-Behalf-Of assertion for a caller holding a façade token.
import type {
  IInboundAuthSetup,
  InboundOutcome,
  InboundRequest,
  Logger,
  RequestAuthContext,
} from '@mcp-auth-kit/auth-core';
import { safeErrorMessage } from '@mcp-auth-kit/auth-core';
import { OutboundCredentialError } from '@mcp-auth-kit/outbound-credentials';
import { decodeJwt, errors } from 'jose';
import type { FacadeContext } from './context.js';
import { SignInRevokedError, UpstreamError } from './errors.js';

const UPSTREAM_REFRESH_MARGIN_MS = 120_000;

function issuerOf(token: string): unknown {
  try {
    return decodeJwt(token).iss;
  } catch {
    return undefined;
  }
}

/** Façade tokens always; Entra ID tokens only when `entra` is given. */
export function facadeInbound(
  issuer: string,
  verify: (token: string) => Promise<RequestAuthContext>,
  logger: Logger,
  entra: IInboundAuthSetup | undefined,
): IInboundAuthSetup {
  return {
    type: 'OAuthProxy',
    authenticate: async (request: InboundRequest): Promise<InboundOutcome> => {
      const header = request.headers.authorization;
      const value = Array.isArray(header) ? undefined : header;
      const match = value ? /^Bearer ([A-Za-z0-9._~+/=-]+)$/i.exec(value.trim()) : null;
      if (match && issuerOf(match[1]!) === issuer) {
        try {
          return { kind: 'authenticated', context: await verify(match[1]!) };
        } catch (error) {
          if (error instanceof SignInRevokedError || error instanceof errors.JOSEError) {
            return {
              kind: 'challenge',
              status: 401,
              error: 'invalid_token',
              errorDescription:
                error instanceof SignInRevokedError
                  ? 'the sign-in was revoked'
                  : 'the token is invalid or expired',
            };
          }
          // the store cannot be read (Redis down): not the caller's fault
          logger.warn(`OAuth proxy: token state unavailable: ${safeErrorMessage(error)}`);
          return {
            kind: 'unavailable',
            retryAfterSeconds: 5,
            errorDescription: 'sign-in state is unavailable; try again',
          };
        }
      }
      if (entra && match) return entra.authenticate(request);
      if (!value) return { kind: 'challenge', status: 401 };
      return {
        kind: 'challenge',
        status: 401,
        error: 'invalid_token',
        errorDescription: 'only tokens from this server’s authorization server are accepted',
      };
    },
    // a challenge through the façade names the scopes to ask for, as one through Entra ID does
    ...(entra?.challengeScope ? { challengeScope: (resource: URL) => entra.challengeScope!(resource) } : {}),
    ...(entra?.resourceUrl ? { resourceUrl: entra.resourceUrl } : {}),
    ...(entra?.ready ? { ready: () => entra.ready!() } : {}),
    close: async () => {
      await entra?.close?.();
    },
  };
}

const ended = (message: string, cause?: unknown) =>
  new OutboundCredentialError('caller_token_rejected', message, cause === undefined ? undefined : { cause });

/** The user's upstream Entra token for a sign-in, renewed at Entra ID (and stored) when it is about to expire. */
export async function upstreamAssertion(ctx: FacadeContext, grantId: string): Promise<string> {
  const grant = await ctx.grants.get(grantId);
  if (!grant) throw ended('the sign-in behind this token was revoked or has ended; sign in again');
  if (grant.upstream.expiresAtMs - UPSTREAM_REFRESH_MARGIN_MS > Date.now()) return grant.upstream.accessToken;
  const refreshToken = grant.upstream.refreshToken;
  if (!refreshToken) throw ended('the upstream sign-in has expired; sign in again');
  let tokens: Awaited<ReturnType<typeof ctx.upstream.refresh>>;
  try {
    tokens = await ctx.upstream.refresh(refreshToken);
  } catch (error) {
    const why = error instanceof UpstreamError ? error.message : 'error';
    throw ended(`the upstream sign-in could not be renewed (${why}); sign in again`, error);
  }
  try {
    await ctx.grants.update(grantId, {
      ...grant,
      upstream: { ...tokens, refreshToken: tokens.refreshToken ?? refreshToken },
    });
  } catch (error) {
    if (error instanceof SignInRevokedError)
      throw ended('the sign-in behind this token was revoked; sign in again');
    throw error;
  }
  return tokens.accessToken;
}
