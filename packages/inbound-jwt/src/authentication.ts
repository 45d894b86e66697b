// Authentication as every adapter runs it (node:http, Express, fetch, Hono, the kit's pipeline),
// written once against a RequestView: only the translation of requests and answers differs.
import {
  createDefaultLogger,
  type IInboundAuthSetup,
  type InboundOutcome,
  type Logger,
  type RequestAuthContext,
  safeErrorMessage,
} from '@mcp-auth-kit/auth-core';
import { type OutcomeHttp, outcomeHttp, serverSideFailure } from './challenge.js';
import { metadataUrlFor } from './requestUrls.js';
import type { RequestView, Step } from './requestView.js';

/** What authentication decided: go on (with the caller, or anonymously), or answer this. */
export type AuthenticationResult =
  | { readonly kind: 'pass'; readonly context: RequestAuthContext | undefined }
  | { readonly kind: 'answer'; readonly answer: OutcomeHttp };

export interface AuthenticationStageOptions {
  /** `realm` of the challenge; default `mcp`. */
  readonly realm?: string;
  /** Where an unexpected failure of the setup is reported (once, without any token); default `@azure/logger`. */
  readonly logger?: Logger;
}

const ANONYMOUS: AuthenticationResult = { kind: 'pass', context: undefined };

/**
 * Authentication with `setup`: a token validated before is answered at once (no promise); any
 * other goes through `setup.authenticate`. A refusal is the 401/403 with its `WWW-Authenticate`
 * challenge pointing at the protected-resource metadata, or 503 with Retry-After.
 */
export function authenticationStage(
  setup: IInboundAuthSetup,
  options: AuthenticationStageOptions = {},
): (view: RequestView) => Step<AuthenticationResult> {
  const realm = options.realm ?? 'mcp';
  const logger = options.logger ?? createDefaultLogger();
  const decided = (outcome: InboundOutcome, view: RequestView): AuthenticationResult => {
    if (outcome.kind === 'authenticated') return { kind: 'pass', context: outcome.context };
    if (outcome.kind === 'anonymous') return ANONYMOUS;
    const resource = view.resource();
    const answer = outcomeHttp(outcome, {
      realm,
      resourceMetadataUrl: metadataUrlFor(resource),
      resource,
      scope: setup.challengeScope?.(resource),
    });
    return { kind: 'answer', answer };
  };
  const failed = (error: unknown): AuthenticationResult => {
    logger.warn(`Inbound auth: ${setup.type} failed unexpectedly: ${safeErrorMessage(error)}`);
    return {
      kind: 'answer',
      answer: outcomeHttp(serverSideFailure(), { realm, resourceMetadataUrl: undefined }),
    };
  };
  return (view) => {
    const known = setup.authenticateCached?.(view.inbound(true));
    if (known?.kind === 'authenticated') return { kind: 'pass', context: known.context };
    try {
      // a native promise whatever the setup returns (a custom setup's thenable included)
      return Promise.resolve(setup.authenticate(view.inbound(false))).then(
        (outcome) => decided(outcome, view),
        failed,
      );
    } catch (error) {
      return failed(error);
    }
  };
}
