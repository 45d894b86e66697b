import type { TokenCredential } from '@azure/core-auth';
import type { ICachePlugin } from '@azure/msal-node';
import type { Logger } from '@mcp-auth-kit/auth-core';
import {
  type AnyServerConfig,
  type AuthContextAccessor,
  type ITokenCredentialProvider,
  type JwtOboOutboundConfig,
  TypeFactory,
} from '@mcp-auth-kit/auth-core';
import { AppOnlyAsHostProvider } from './AppOnlyAsHostProvider.js';
import { DefaultCredentialProvider } from './DefaultCredentialProvider.js';
import { JwtOboCredentialProvider } from './JwtOboCredentialProvider.js';
import { JwtPassthroughCredentialProvider } from './JwtPassthroughCredentialProvider.js';
import { ManagedIdentityCredentialProvider } from './ManagedIdentityCredentialProvider.js';
import { type DistributedTokenStore, RedisTokenStore } from './RedisTokenStore.js';

export interface CredentialProviderFactoryOptions {
  readonly accessor?: AuthContextAccessor;
  readonly logger?: Logger;
  readonly cacheMaxEntries?: number;
  readonly cachePlugin?: ICachePlugin;
  readonly managedIdentity?: (clientId: string | undefined) => TokenCredential;
  /** msal-node's log level for JwtObo (routed to `logger.info`, never with PII). */
  readonly msalLogLevel?: 'error' | 'warning' | 'info' | 'verbose';
  /** Overrides the store built from `outboundAuthentication.tokenCache`. */
  readonly distributedCache?: DistributedTokenStore;
  /** JwtObo: the assertion for a caller when it is not the caller's own token (an authorization-server façade's). */
  readonly assertionFor?: (
    caller: import('@mcp-auth-kit/auth-core').RequestAuthContext,
  ) => Promise<string | undefined>;
  /** The clock, in milliseconds, of the caller-token providers (expiry checks, caches); default `Date.now`. */
  readonly now?: () => number;
}

/**
 * Builds the provider that `outboundAuthentication.type` names: `create(config, options?)`. Register
 * more types with `.register(type, builder)`.
 */
export type CredentialProviderFactory = TypeFactory<
  [config: AnyServerConfig, options?: CredentialProviderFactoryOptions],
  ITokenCredentialProvider
>;

/** A new factory with the built-in types Default, ManagedIdentity, JwtPassthrough and JwtObo. */
export function createCredentialProviderFactory(): CredentialProviderFactory {
  return new TypeFactory<
    [config: AnyServerConfig, options?: CredentialProviderFactoryOptions],
    ITokenCredentialProvider
  >('outboundAuthentication.type', (config) => config.outboundAuthentication.type, {
    Default: () => new DefaultCredentialProvider(),
    ManagedIdentity: (config) =>
      new ManagedIdentityCredentialProvider({ clientId: config.outboundAuthentication.clientId }),
    JwtPassthrough: (_config, options = {}) => new JwtPassthroughCredentialProvider(options),
    JwtObo: (config, options = {}) => {
      // the factory dispatches on `type`, so the section is the JwtObo member
      const outbound = config.outboundAuthentication as JwtOboOutboundConfig;
      const cache = outbound.tokenCache;
      const distributedCache =
        options.distributedCache ??
        (cache
          ? new RedisTokenStore({
              url: cache.url.reveal(),
              encryptionKey: Buffer.from(cache.encryptionKey.reveal(), 'base64'),
              keyPrefix: cache.keyPrefix,
              ...(options.logger ? { logger: options.logger } : {}),
            })
          : undefined);
      const obo = new JwtOboCredentialProvider({
        ...options,
        azureAd: outbound.app,
        clientCredential: outbound.clientCredential,
        distributedCache,
      });
      // app-only callers have no user to act for: served with the host's identity when configured
      // (the door refuses them otherwise, so they never reach On-Behalf-Of)
      return outbound.appOnlyCallers === 'ManagedIdentity'
        ? new AppOnlyAsHostProvider(
            obo,
            new ManagedIdentityCredentialProvider(
              options.managedIdentity ? { credential: options.managedIdentity(undefined) } : {},
            ),
            options.accessor,
          )
        : obo;
    },
  });
}
