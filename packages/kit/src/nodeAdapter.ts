// node:http and Express over the one pipeline (pipeline.ts): the request is read through a
// NodeRequestView, answers are written with writeAnswer, and the handler runs with `req.auth`.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Logger, safeErrorMessage } from '@mcp-auth-kit/auth-core';
import {
  answerClaimsChallenges,
  NodeRequestView,
  type ResourceUrlOptions,
  runNext,
  writeAnswer,
} from '@mcp-auth-kit/inbound-jwt';
import { nodeOriginRequest } from './originPolicy.js';
import { type Exchange, NOT_OWN_PATH, type PipelineStages, runPipeline } from './pipeline.js';
import type { AuthenticatedRequest } from './types.js';

export interface NodeAdapterOptions {
  readonly stages: PipelineStages;
  readonly urls: ResourceUrlOptions;
  /** The façade's and the metadata's own paths; true when it answered. */
  readonly ownPath: (req: IncomingMessage, res: ServerResponse) => boolean;
  readonly logger: Logger;
}

/**
 * One request through the pipeline: `next` runs once it passed (an Express `next`, or the author's
 * handler), awaited; a throw or rejection is logged once and answered 500.
 */
export function runNode(
  options: NodeAdapterOptions,
  req: IncomingMessage,
  res: ServerResponse,
  next: (req: AuthenticatedRequest) => unknown,
): void {
  const request = req as AuthenticatedRequest;
  const exchange: Exchange<void> = {
    view: new NodeRequestView(req, options.urls),
    ownPath: () => (options.ownPath(req, res) ? undefined : NOT_OWN_PATH),
    origin: () => nodeOriginRequest(req),
    reply: (answer) => writeAnswer(res, answer),
    handle(auth, context, claims) {
      if (auth) {
        request.auth = auth;
        if (claims) answerClaimsChallenges(req, res, context, claims);
        dropAuthorizationHeader(req);
      }
      runNext(() => next(request), res, options.logger);
    },
  };
  const done = runPipeline(options.stages, exchange);
  // only reading the request can fail here (the client went away mid-body): the stages and the
  // handler answer their own failures
  if (done instanceof Promise) {
    done.catch((error: unknown) => {
      options.logger.warn(`MCP request could not be read: ${safeErrorMessage(error)}`);
      if (!res.headersSent) writeAnswer(res, UNREADABLE);
      else res.destroy();
    });
  }
}

const UNREADABLE = {
  status: 400,
  headers: { 'content-type': 'application/json' },
  body: '{"error":"invalid_request"}',
};

/**
 * The bearer token has done its work once the request is authenticated: the handler has it as
 * `req.auth.token`. Cleared from `req.headers` and removed from `req.rawHeaders`, it is not copied
 * into the MCP SDK's web Request (1.3 kB of header validated and copied per call), nor logged by
 * anything downstream that prints request headers. (Cleared, not deleted: a delete would turn the
 * headers object into a slow dictionary for every later lookup.)
 */
function dropAuthorizationHeader(req: IncomingMessage): void {
  req.headers.authorization = undefined;
  const raw = req.rawHeaders;
  for (let i = raw.length - 2; i >= 0; i -= 2) {
    const name = raw[i]!;
    if (name.length === 13 && name.toLowerCase() === 'authorization') raw.splice(i, 2);
  }
}
