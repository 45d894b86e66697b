import { type IInboundAuthSetup, type McpAuthInfo, toAuthInfo } from '@mcp-auth-kit/auth-core';
import { authenticationStage } from './authentication.js';
import { answerResponse } from './challenge.js';
import type { ResourceUrlOptions } from './requestUrls.js';
import { FetchRequestView } from './requestView.js';

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
  // the setup's canonical resource URL, unless the adapter was given one
  const urls =
    !options.resourceUrl && setup.resourceUrl ? { ...options, resourceUrl: setup.resourceUrl } : options;
  const authenticate = authenticationStage(setup, options);
  return async (request) => {
    const view = new FetchRequestView(request, urls);
    const result = await authenticate(view);
    if (result.kind === 'answer') return answerResponse(result.answer);
    return result.context ? toAuthInfo(result.context, view.resource()) : undefined;
  };
}
