import { type IInboundAuthSetup, type McpAuthInfo, toAuthInfo } from '@mcp-auth-kit/auth-core';
import { serverSideFailure } from './challenge.js';
import { outcomeHttp } from './createAuthMiddleware.js';
import { metadataUrlFor, type ResourceUrlOptions, resourceUrlForFetch } from './requestUrls.js';

export interface FetchAuthOptions extends ResourceUrlOptions {
  /** `realm` of the challenge; default `mcp`. */
  readonly realm?: string;
}

/**
 * The web-standard gate: the caller's AuthInfo; `undefined` for an anonymous request (inbound
 * `None`); or the ready answer to return (401/403/503).
 */
export type FetchAuthGate = (request: Request) => Promise<McpAuthInfo | Response | undefined>;

/**
 * Authentication for fetch-style hosts (Hono, Bun, Deno, Cloudflare Workers, Azure Functions v4):
 * a `Request` in; the caller's AuthInfo (the MCP SDK's shape, to pass on as `authInfo`), or a
 * challenge `Response` carrying `WWW-Authenticate` with the metadata URL, out.
 *
 * @example
 * const gate = createFetchAuth(setup);
 * const auth = await gate(request);
 * if (auth instanceof Response) return auth;
 * return handler.fetch(request, { authInfo: auth });
 */
export function createFetchAuth(setup: IInboundAuthSetup, options: FetchAuthOptions = {}): FetchAuthGate {
  const realm = options.realm ?? 'mcp';
  // the setup's canonical resource URL, unless the adapter was given one
  if (!options.resourceUrl && setup.resourceUrl) options = { ...options, resourceUrl: setup.resourceUrl };
  return async (request) => {
    const resource = resourceUrlForFetch(request, options);
    // a token seen before is answered at once (a repeated header never matches a cached token)
    const authorization = request.headers.get('authorization');
    const known =
      authorization === null ? undefined : setup.authenticateCached?.({ headers: { authorization } });
    if (known?.kind === 'authenticated') return toAuthInfo(known.context, resource);
    const outcome = await setup
      .authenticate({
        headers: headersOf(request),
        method: request.method,
        url: new URL(request.url).pathname,
      })
      .catch(serverSideFailure);
    if (outcome.kind === 'authenticated') return toAuthInfo(outcome.context, resource);
    if (outcome.kind === 'anonymous') return undefined;
    const http = outcomeHttp(outcome, {
      realm,
      resourceMetadataUrl: metadataUrlFor(resource),
      resource,
      scope: setup.challengeScope?.(resource),
    });
    return new Response(http.body, { status: http.status, headers: http.headers });
  };
}

/** Request headers as node:http presents them (lower-case names; a repeated Authorization kept as a list). */
function headersOf(request: Request): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  request.headers.forEach((value, name) => {
    out[name] = value;
  });
  // Headers joins repeated values with ", "; a second credential must still be refused
  const authorization = out.authorization;
  if (typeof authorization === 'string' && /,\s*bearer\s/i.test(authorization)) {
    out.authorization = authorization.split(/,\s*(?=bearer\s)/i);
  }
  return out;
}
