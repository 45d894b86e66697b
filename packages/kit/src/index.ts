export type { AuthenticatedRequest, McpAuth, McpAuthOptions } from './createMcpAuth.js';
export { createMcpAuth } from './createMcpAuth.js';
