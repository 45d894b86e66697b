// The one request pipeline of the kit, whichever host the request came from:
//
//   own paths (façade, protected-resource metadata) → Origin and Host → authentication → tool
//   policy → handler → claims challenge
//
// Each stage is written once (the stages of @mcp-auth-kit/inbound-jwt, the origin policy here)
// against a RequestView; the node:http and fetch adapters (nodeAdapter.ts, fetchAdapter.ts) only
// read requests and write answers. Stages answer at once when they can, so a request with a known
// token runs without a promise on node:http.
import {
  type AuthContextAccessor,
  type McpAuthInfo,
  type RequestAuthContext,
  toAuthInfo,
} from '@mcp-auth-kit/auth-core';
import {
  type AuthenticationResult,
  type ClaimsChallengeOptions,
  jsonRpcErrorAnswer,
  type OutcomeHttp,
  type RequestView,
  type Step,
  thenStep,
} from '@mcp-auth-kit/inbound-jwt';
import type { OriginRefusal, OriginRequest } from './originPolicy.js';

/** The stages, built once per `createMcpAuth`. */
export interface PipelineStages {
  readonly origin: (request: OriginRequest) => OriginRefusal | undefined;
  readonly authenticate: (view: RequestView) => Step<AuthenticationResult>;
  readonly policy: (
    view: RequestView,
    caller: () => RequestAuthContext | undefined,
  ) => Step<OutcomeHttp | undefined>;
  /** Where a claims challenge sends the client to sign in again; undefined without Entra ID. */
  readonly claims: ClaimsChallengeOptions | undefined;
  readonly accessor: AuthContextAccessor;
  /** Run the policy and the handler inside the accessor (AsyncLocalStorage). */
  readonly propagate: boolean;
}

/** `ownPath`'s answer for a path that is not the façade's or the metadata's: the pipeline goes on. */
export const NOT_OWN_PATH: unique symbol = Symbol('not an own path');

/** What one host does for a request: its view of it, its own paths, and how it answers. */
export interface Exchange<Reply> {
  readonly view: RequestView;
  /** The façade's and the metadata's own paths: their answer, or NOT_OWN_PATH for any other path. */
  ownPath(): Step<Reply | typeof NOT_OWN_PATH>;
  origin(): OriginRequest;
  reply(answer: OutcomeHttp): Reply;
  /**
   * Runs the handler with the caller (both undefined when anonymous), answering a success with the
   * claims challenge recorded meanwhile (`claimsChallengeAnswer`) when `claims` is given. Each host
   * applies it its own way: node:http before the status is written, fetch on the Response.
   */
  handle(
    auth: McpAuthInfo | undefined,
    context: RequestAuthContext | undefined,
    claims: ClaimsChallengeOptions | undefined,
  ): Step<Reply>;
}

/** Runs one request through the stages, in the one order. */
export function runPipeline<Reply>(stages: PipelineStages, exchange: Exchange<Reply>): Step<Reply> {
  return thenStep(exchange.ownPath(), (own) => {
    if (own !== NOT_OWN_PATH) return own;
    const refused = stages.origin(exchange.origin());
    if (refused) return exchange.reply(originAnswer(refused));
    return thenStep(stages.authenticate(exchange.view), (result) => {
      if (result.kind === 'answer') return exchange.reply(result.answer);
      const context = result.context;
      const rest = () => afterAuthentication(stages, exchange, context);
      return stages.propagate && context ? stages.accessor.run(context, rest) : rest();
    });
  });
}

function afterAuthentication<Reply>(
  stages: PipelineStages,
  exchange: Exchange<Reply>,
  context: RequestAuthContext | undefined,
): Step<Reply> {
  return thenStep(
    stages.policy(exchange.view, () => context),
    (refusal) => {
      if (refusal) return exchange.reply(refusal);
      const auth = context ? toAuthInfo(context, exchange.view.resource()) : undefined;
      return exchange.handle(auth, context, context ? stages.claims : undefined);
    },
  );
}

/** The Origin / Host refusal: 403 with a JSON-RPC error and no id, as the transport specification allows. */
function originAnswer(refusal: OriginRefusal): OutcomeHttp {
  return jsonRpcErrorAnswer(refusal.status, -32000, refusal.message);
}
