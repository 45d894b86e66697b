export { AADSTS, aadstsFix } from './aadsts.js';
export { loadServerConfigFile, parseJsonText } from './config/loadServerConfigFile.js';
export type { ParseServerConfigOptions } from './config/parseServerConfig.js';
export { parseServerConfig } from './config/parseServerConfig.js';
export { SecretValue } from './config/SecretValue.js';
export type {
  AnyServerConfig,
  AzureAdConfig,
  ClientCredentialConfig,
  CustomInboundConfig,
  CustomOutboundConfig,
  InboundAuthenticationConfig,
  JwtAlgorithm,
  JwtBearerSchemeInboundConfig,
  JwtOboOutboundConfig,
  ManagedIdentityOutboundConfig,
  NoneInboundConfig,
  OnBehalfOfAppConfig,
  OutboundAuthenticationConfig,
  PlainOutboundConfig,
  ServerConfig,
  TokenCacheConfig,
} from './config/types.js';
export { isLoopbackHost, isSecureOrLoopbackUrl } from './config/urls.js';
export { AuthContextAccessor, defaultAuthContextAccessor } from './context/AuthContextAccessor.js';
export type { McpAuthInfo } from './context/authInfo.js';
export { fromAuthInfo, toAuthInfo } from './context/authInfo.js';
export { createRequestAuthContext } from './context/createRequestAuthContext.js';
export type { CallerPrincipal, RequestAuthContext } from './context/RequestAuthContext.js';
export type { McpToolExtra } from './context/resolveCaller.js';
export { resolveCaller } from './context/resolveCaller.js';
export type { AuthCoreErrorCode, ConfigIssue } from './errors.js';
export { AuthCoreError, ConfigError, McpAuthKitError } from './errors.js';
export { TypeFactory } from './factory/TypeFactory.js';
export type {
  IInboundAuthSetup,
  InboundOutcome,
  InboundRequest,
} from './interfaces/IInboundAuthSetup.js';
export type {
  ITokenCredentialProvider,
  OutboundIdentityDescription,
} from './interfaces/ITokenCredentialProvider.js';
export type { McpServerLike, McpToolAnnotations, McpToolResult } from './interfaces/McpServerLike.js';
export type { Logger } from './logging.js';
export { createDefaultLogger, safeErrorMessage } from './logging.js';
export type { Attributes } from './telemetry.js';
