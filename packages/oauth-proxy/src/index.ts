export type { ClientRecord, MetadataFetchOptions } from './clientMetadata.js';
export { ClientMetadataError, fetchClientMetadata, isNonPublicAddress } from './clientMetadata.js';
export { OAuthError } from './errors.js';
export type { OAuthProxyOptions } from './OAuthProxy.js';
export { OAuthProxy } from './OAuthProxy.js';
export type { FacadeStore, RedisFacadeClient } from './store.js';
export { MemoryFacadeStore, RedisFacadeStore } from './store.js';
export type { UpstreamOptions } from './upstream.js';
