export { buildWwwAuthenticate, outcomeFor } from './challenge.js';
export type { AuthMiddlewareOptions, NodeMiddleware, OutcomeHttp } from './createAuthMiddleware.js';
export { createAuthMiddleware, outcomeHttp, writeOutcome } from './createAuthMiddleware.js';
export type { FetchAuthGate, FetchAuthOptions } from './createFetchAuth.js';
export { createFetchAuth } from './createFetchAuth.js';
export type { HonoContextLike } from './createHonoAuthMiddleware.js';
export { createHonoAuthMiddleware } from './createHonoAuthMiddleware.js';
export type { InboundSetupFactory } from './createInboundSetupFactory.js';
export { createInboundSetupFactory } from './createInboundSetupFactory.js';
export type { InboundAuthErrorCode, InvalidTokenReason } from './errors.js';
export { InboundAuthError } from './errors.js';
export type { JwksCacheOptions } from './JwksCache.js';
export { JwksCache } from './JwksCache.js';
export type { JwtBearerInboundSetupOptions } from './JwtBearerInboundSetup.js';
export { JwtBearerInboundSetup } from './JwtBearerInboundSetup.js';
export type { JwtBearerValidatorOptions } from './JwtBearerValidator.js';
export { JwtBearerValidator } from './JwtBearerValidator.js';
export { NoneInboundSetup } from './NoneInboundSetup.js';
export { parseAuthorizationHeader } from './parseAuthorizationHeader.js';
export type {
  ProtectedResourceMetadata,
  ProtectedResourceMetadataOptions,
} from './protectedResourceMetadata.js';
export {
  createProtectedResourceMetadataFetchHandler,
  createProtectedResourceMetadataHandler,
  protectedResourceMetadata,
} from './protectedResourceMetadata.js';
export type { ResourceUrlOptions } from './requestUrls.js';
export { metadataUrlFor, resourceUrlFor, resourceUrlForFetch } from './requestUrls.js';
export type {
  ToolPolicy,
  ToolPolicyDecision,
  ToolPolicyMiddlewareOptions,
  ToolRequirement,
} from './toolPolicy.js';
export {
  checkToolPolicy,
  createToolPolicyFetchCheck,
  createToolPolicyMiddleware,
  decideToolPolicy,
  decodeMcpNameHeader,
} from './toolPolicy.js';
