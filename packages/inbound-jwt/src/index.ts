export { buildWwwAuthenticate, outcomeFor } from './challenge.js';
export type { AuthMiddlewareOptions, NodeMiddleware } from './createAuthMiddleware.js';
export { createAuthMiddleware, writeOutcome } from './createAuthMiddleware.js';
export type { InboundSetupFactory } from './createInboundSetupFactory.js';
export { createInboundSetupFactory } from './createInboundSetupFactory.js';
export type { InboundAuthErrorCode } from './errors.js';
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
  createProtectedResourceMetadataHandler,
  protectedResourceMetadata,
} from './protectedResourceMetadata.js';
export type { ResourceUrlOptions } from './requestUrls.js';
export { metadataUrlFor, resourceUrlFor } from './requestUrls.js';
export type { ToolPolicy, ToolPolicyMiddlewareOptions, ToolRequirement } from './toolPolicy.js';
export { checkToolPolicy, createToolPolicyMiddleware } from './toolPolicy.js';
