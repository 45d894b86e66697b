export { isNonPublicAddress } from '@mcp-auth-kit/auth-core/internal';
export type { ClientRecord } from './clients/clientRecord.js';
export type { MetadataFetchOptions } from './clients/fetchClientMetadata.js';
export { fetchClientMetadata } from './clients/fetchClientMetadata.js';
export type { EntraFrontOptions } from './EntraFront.js';
export { EntraFront } from './EntraFront.js';
export type { FacadeStoreErrorCode, OAuthProxyErrorCode } from './errors.js';
export {
  ClientMetadataError,
  FacadeStoreError,
  OAuthError,
  SignInRevokedError,
  UpstreamError,
} from './errors.js';
export { OAuthProxy } from './OAuthProxy.js';
export type { OAuthProxyOptions } from './options.js';
export type { RateLimitOptions } from './policies/Limits.js';
export type { FacadeStore, RecordKind, RecordQuotas } from './store/FacadeStore.js';
export { DEFAULT_QUOTAS } from './store/FacadeStore.js';
export { MemoryFacadeStore } from './store/MemoryFacadeStore.js';
export type { RedisFacadeClient } from './store/RedisFacadeStore.js';
export { DEFAULT_REDIS_QUOTAS, RedisFacadeStore } from './store/RedisFacadeStore.js';
export type { UpstreamOptions } from './upstream.js';
