// Fetch-style hosts (Hono, Bun, Deno, Workers, Azure Functions v4) over the one pipeline
// (pipeline.ts): the request is read through a FetchRequestView and every answer is a Response.
import { type Logger, type McpAuthInfo, safeErrorMessage } from '@mcp-auth-kit/auth-core';
import {
  answerResponse,
  claimsChallengeResponse,
  FetchRequestView,
  jsonAnswer,
  type ResourceUrlOptions,
  reportHandlerFailure,
} from '@mcp-auth-kit/inbound-jwt';
import { fetchOriginRequest } from './originPolicy.js';
import { type Exchange, NOT_OWN_PATH, type PipelineStages, runPipeline } from './pipeline.js';
import type { FetchRequestInfo } from './types.js';

export interface FetchAdapterOptions {
  readonly stages: PipelineStages;
  readonly urls: ResourceUrlOptions;
  /** The façade's and the metadata's own paths: their Response, undefined for any other. */
  readonly ownPath: (
    request: Request,
    remoteAddress: string | undefined,
  ) => Promise<Response | undefined> | Response | undefined;
  readonly logger: Logger;
}

/** One request through the pipeline to `handler`; a throw of the handler is logged once and answered 500. */
export async function runFetch(
  options: FetchAdapterOptions,
  request: Request,
  info: FetchRequestInfo | undefined,
  handler: (request: Request, authInfo: McpAuthInfo | undefined) => Promise<Response> | Response,
): Promise<Response> {
  const { remoteAddress, localAddress } = (info ?? {}) as { remoteAddress?: unknown; localAddress?: unknown };
  const exchange: Exchange<Response> = {
    view: new FetchRequestView(request, options.urls),
    async ownPath() {
      const own = await options.ownPath(
        request,
        typeof remoteAddress === 'string' ? remoteAddress : undefined,
      );
      return own ?? NOT_OWN_PATH;
    },
    origin: () => fetchOriginRequest(request, typeof localAddress === 'string' ? localAddress : undefined),
    reply: answerResponse,
    async handle(auth, context, claims) {
      try {
        const response = await handler(request, auth);
        return claims ? claimsChallengeResponse(request, response, context, claims) : response;
      } catch (error) {
        reportHandlerFailure(options.logger, error);
        return Response.json({ error: 'internal_error' }, { status: 500 });
      }
    },
  };
  try {
    return await runPipeline(options.stages, exchange);
  } catch (error) {
    // a façade or a body that could not be read: logged once (no token), answered, never thrown at the host
    options.logger.warn(`MCP request failed before the handler: ${safeErrorMessage(error)}`);
    return answerResponse(jsonAnswer(500, { error: 'internal_error' }));
  }
}
