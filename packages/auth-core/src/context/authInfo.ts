import { AuthCoreError } from '../errors.js';
import { createRequestAuthContext } from './createRequestAuthContext.js';
import type { RequestAuthContext } from './RequestAuthContext.js';

/**
 * Structurally the MCP SDK's `AuthInfo` (`@modelcontextprotocol/sdk/server/auth/types.js`),
 * declared here so auth-core does not depend on the SDK.
 */
export interface McpAuthInfo {
  token: string;
  clientId: string;
  scopes: string[];
  /** Seconds since the epoch. */
  expiresAt?: number;
  resource?: URL;
  extra?: Record<string, unknown>;
}

const CLAIMS_KEY = 'claims';
/** The context itself, kept on the AuthInfo in memory so `fromAuthInfo` need not rebuild it. */
const CONTEXT = Symbol('mcp-auth-kit.requestAuthContext');

/** Converts a request auth context to the MCP SDK's AuthInfo (claims kept in `extra.claims`). */
export function toAuthInfo(context: RequestAuthContext, resource?: URL): McpAuthInfo {
  // a symbol key: not serialized, not listed by Object.keys; a copy of `extra` keeps it
  const extra: Record<string | symbol, unknown> = {
    [CLAIMS_KEY]: context.claims,
    principal: context.principal,
    [CONTEXT]: context,
  };
  const info: McpAuthInfo = {
    token: context.rawToken,
    clientId: context.principal.appId ?? '',
    scopes: context.roles.length === 0 ? [...context.scopes] : [...context.scopes, ...context.roles],
    expiresAt: Math.floor(context.expiresOnTimestampMs / 1000),
    extra: extra as Record<string, unknown>,
  };
  if (resource) info.resource = resource;
  return info;
}

/** Rebuilds the request auth context from an AuthInfo that `toAuthInfo` produced. */
export function fromAuthInfo(info: McpAuthInfo): RequestAuthContext {
  const kept = (info.extra as { [CONTEXT]?: RequestAuthContext } | undefined)?.[CONTEXT];
  if (kept && kept.rawToken === info.token && kept.claims === info.extra?.[CLAIMS_KEY]) return kept;
  const claims = info.extra?.[CLAIMS_KEY];
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) {
    throw new AuthCoreError('invalid_auth_info', 'AuthInfo carries no validated claims (extra.claims)');
  }
  const context = createRequestAuthContext(info.token, claims as Record<string, unknown>);
  // what the server's client policy added beside the claims (the client's document URL) survives a copy
  const documentUrl = (info.extra?.principal as { clientDocumentUrl?: unknown } | undefined)
    ?.clientDocumentUrl;
  if (typeof documentUrl !== 'string') return context;
  return Object.freeze({
    ...context,
    principal: Object.freeze({ ...context.principal, clientDocumentUrl: documentUrl }),
  });
}
