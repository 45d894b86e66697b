export type {
  AuthenticatedRequest,
  AuthorizationServerFacade,
  McpAuth,
  McpAuthOptions,
  Readiness,
} from './createMcpAuth.js';
export { createMcpAuth } from './createMcpAuth.js';
