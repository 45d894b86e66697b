export type {
  AuthenticatedRequest,
  AuthorizationServerFacade,
  FetchRequestInfo,
  McpAuth,
  McpAuthOptions,
  Readiness,
} from './createMcpAuth.js';
export { createMcpAuth } from './createMcpAuth.js';
