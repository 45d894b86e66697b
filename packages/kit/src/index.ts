export { createMcpAuth } from './createMcpAuth.js';
export type { OriginPolicyOptions } from './originPolicy.js';
export type {
  AuthenticatedRequest,
  AuthorizationServerFacade,
  FetchRequestInfo,
  McpAuth,
  McpAuthOptions,
  Readiness,
} from './types.js';
