export type {
  ArmConfiguration,
  ArmFlexibleServer,
  AzureResourceManagerOptions,
} from './azure/AzureResourceManager.js';
export { AzureResourceManager } from './azure/AzureResourceManager.js';
export type { ConnectionLimits, ConnectionStats } from './ConnectionManager.js';
export type { PostgresToolErrorCode } from './errors.js';
export { PostgresToolError } from './errors.js';
export type { QueryLimits, QueryResult } from './queries.js';
export type { PostgresTools, PostgresToolsOptions } from './registerPostgresTools.js';
export { createPostgresTools, registerPostgresTools } from './registerPostgresTools.js';
export type { PostgresServerEntry, ResolvedServer } from './servers.js';
export { resolveServer } from './servers.js';
