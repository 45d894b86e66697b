export { AppOnlyAsHostProvider } from './AppOnlyAsHostProvider.js';
export type { MsalAppCredential } from './appCredential.js';
export {
  certificateFromPem,
  certificateFromPkcs12,
  FEDERATED_CREDENTIAL_SCOPE,
  resolveAppCredential,
} from './appCredential.js';
export type {
  CredentialProviderFactory,
  CredentialProviderFactoryOptions,
} from './createCredentialProviderFactory.js';
export { createCredentialProviderFactory } from './createCredentialProviderFactory.js';
export { DefaultCredentialProvider } from './DefaultCredentialProvider.js';
export type { OutboundCredentialErrorCode } from './errors.js';
export { OutboundCredentialError } from './errors.js';
export type { JwtOboCredentialProviderOptions } from './JwtOboCredentialProvider.js';
export { JwtOboCredentialProvider } from './JwtOboCredentialProvider.js';
export type { JwtPassthroughCredentialProviderOptions } from './JwtPassthroughCredentialProvider.js';
export { JwtPassthroughCredentialProvider } from './JwtPassthroughCredentialProvider.js';
export type { OutboundLogger } from './logger.js';
export { consoleWarnLogger } from './logger.js';
export type { ManagedIdentityCredentialProviderOptions } from './ManagedIdentityCredentialProvider.js';
export { ManagedIdentityCredentialProvider } from './ManagedIdentityCredentialProvider.js';
export type { DistributedTokenStore, RedisLikeClient, RedisTokenStoreOptions } from './RedisTokenStore.js';
export { RedisTokenStore } from './RedisTokenStore.js';
