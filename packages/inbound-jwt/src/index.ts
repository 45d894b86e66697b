export type { AuthenticationResult, AuthenticationStageOptions } from './authentication.js';
export { authenticationStage } from './authentication.js';
export type { OutcomeHttp } from './challenge.js';
export { answerResponse, jsonAnswer, writeAnswer } from './challenge.js';
export type { ClaimsChallengeOptions } from './claimsChallenge.js';
export {
  answerClaimsChallenges,
  claimsChallengeAnswer,
  claimsChallengeHeader,
  claimsChallengeResponse,
} from './claimsChallenge.js';
export type { AllowedClient } from './clientPolicy.js';
export { ClientPolicy } from './clientPolicy.js';
export type { AuthMiddlewareOptions, NodeMiddleware } from './createAuthMiddleware.js';
export { createAuthMiddleware, reportHandlerFailure, runNext } from './createAuthMiddleware.js';
export type { FetchAuthGate, FetchAuthOptions } from './createFetchAuth.js';
export { createFetchAuth } from './createFetchAuth.js';
export type { HonoContextLike } from './createHonoAuthMiddleware.js';
export { createHonoAuthMiddleware } from './createHonoAuthMiddleware.js';
export type { AnyInboundConfig, InboundSetupFactory } from './createInboundSetupFactory.js';
export { createInboundSetupFactory } from './createInboundSetupFactory.js';
export type { InboundAuthErrorCode, InvalidTokenReason } from './errors.js';
export { InboundAuthError } from './errors.js';
export type { JwksCacheOptions } from './JwksCache.js';
export type { JwtBearerInboundSetupOptions } from './JwtBearerInboundSetup.js';
export { JwtBearerInboundSetup } from './JwtBearerInboundSetup.js';
export type { JwtBearerValidatorOptions } from './JwtBearerValidator.js';
export { JwtBearerValidator } from './JwtBearerValidator.js';
export { NoneInboundSetup } from './NoneInboundSetup.js';
export type {
  ProtectedResourceMetadata,
  ProtectedResourceMetadataOptions,
} from './protectedResourceMetadata.js';
export {
  createProtectedResourceMetadataFetchHandler,
  createProtectedResourceMetadataHandler,
  scopesForResource,
} from './protectedResourceMetadata.js';
export type { ResourceUrlOptions } from './requestUrls.js';
export type { BodyRead, RequestView, Step } from './requestView.js';
export { FetchRequestView, jsonRpcErrorAnswer, NodeRequestView, thenStep } from './requestView.js';
export { sendJson } from './sendJson.js';
export type {
  ToolPolicy,
  ToolPolicyDecision,
  ToolPolicyMiddlewareOptions,
  ToolPolicyStageOptions,
  ToolRequirement,
} from './toolPolicy.js';
export {
  createToolPolicyFetchCheck,
  createToolPolicyMiddleware,
  decodeMcpNameHeader,
  toolPolicyStage,
} from './toolPolicy.js';
