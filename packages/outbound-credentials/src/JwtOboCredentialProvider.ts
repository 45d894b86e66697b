import { hash } from 'node:crypto';
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';
import type { ConfidentialClientApplication, ICachePlugin } from '@azure/msal-node';
import type { Logger } from '@mcp-auth-kit/auth-core';
import {
  type AuthContextAccessor,
  type ClientCredentialConfig,
  defaultAuthContextAccessor,
  type ITokenCredentialProvider,
  type OnBehalfOfAppConfig,
  type OutboundIdentityDescription,
  type RequestAuthContext,
} from '@mcp-auth-kit/auth-core';
import {
  recordClaimsChallenge,
  recordIdpCall,
  recordTokenRequest,
  withSpan,
} from '@mcp-auth-kit/auth-core/internal';
import { type MsalAppCredential, resolveAppCredential } from './appCredential.js';
import { OutboundCredentialError } from './errors.js';
import { consoleWarnLogger } from './logger.js';
import { createMsalClient, type MsalLogLevel } from './msalClient.js';
import { releaseDefaultThrottle } from './msalThrottle.js';
import { OboTokenCache } from './OboTokenCache.js';
import { mapOboError } from './oboErrors.js';
import type { DistributedTokenStore } from './RedisTokenStore.js';
import { normaliseScopes, resourceOfScope } from './scopes.js';

export interface JwtOboCredentialProviderOptions {
  /** The app registration that acts for the caller (`JwtOboOutboundConfig.app`): instance, tenant, client id. */
  readonly azureAd: OnBehalfOfAppConfig;
  readonly clientCredential: ClientCredentialConfig;
  readonly accessor?: AuthContextAccessor;
  readonly logger?: Logger;
  /** Most tokens kept in the in-memory cache (LRU); default 10 000. */
  readonly cacheMaxEntries?: number;
  /** msal-node's cache plugin (e.g. a distributed cache); the in-memory cache stays in front. */
  readonly cachePlugin?: ICachePlugin;
  /** Route msal-node's own log lines (never with PII) to `logger.info` at this level; default off. */
  readonly msalLogLevel?: MsalLogLevel;
  /** A token cache shared by replicas (e.g. RedisTokenStore), consulted after the in-memory cache. */
  readonly distributedCache?: DistributedTokenStore;
  /** Builds the managed identity credential for Key Vault and federated credentials (tests, custom hosts). */
  readonly managedIdentity?: (clientId: string | undefined) => TokenCredential;
  /** The clock, in milliseconds (token expiry checks and the cache); default `Date.now`. */
  readonly now?: () => number;
  /**
   * The assertion to exchange for a caller, when it is not the caller's own token: an
   * authorization-server façade returns the user's stored upstream Entra token for its own tokens
   * (undefined: the caller's token).
   */
  readonly assertionFor?: (caller: RequestAuthContext) => Promise<string | undefined>;
}

/** How long a failed app-credential load (Key Vault) is reused before trying again. */
const CREDENTIAL_RETRY_MS = 3000;

/**
 * On-Behalf-Of: the caller's token is exchanged with msal-node for a token to the downstream
 * resource, as the same user. One ConfidentialClientApplication serves every request; tokens are
 * cached per (caller token, scopes, tenant) and no caller is ever served another caller's token.
 */
export class JwtOboCredentialProvider implements ITokenCredentialProvider {
  readonly type = 'JwtObo';
  readonly actsFor = 'caller';
  readonly #azureAd: OnBehalfOfAppConfig;
  readonly #now: () => number;
  readonly #accessor: AuthContextAccessor;
  readonly #cache: OboTokenCache;
  readonly #maxEntries: number;
  readonly #credential: MsalAppCredential | (() => Promise<MsalAppCredential>);
  readonly #cachePlugin: ICachePlugin | undefined;
  readonly #logger: Logger;
  readonly #shared: DistributedTokenStore | undefined;
  readonly #msalLogLevel: JwtOboCredentialProviderOptions['msalLogLevel'];
  readonly #assertionFor: JwtOboCredentialProviderOptions['assertionFor'];
  #cca: Promise<ConfidentialClientApplication> | undefined;
  #acquisitionsSinceClear = 0;

  constructor(options: JwtOboCredentialProviderOptions) {
    if (!options.azureAd?.clientId)
      throw new TypeError('JwtOboCredentialProvider: azureAd.clientId is required');
    if (!options.clientCredential)
      throw new TypeError('JwtOboCredentialProvider: clientCredential is required');
    this.#azureAd = options.azureAd;
    this.#now = options.now ?? Date.now;
    this.#accessor = options.accessor ?? defaultAuthContextAccessor;
    this.#logger = options.logger ?? consoleWarnLogger;
    this.#maxEntries = options.cacheMaxEntries ?? 10_000;
    this.#cache = new OboTokenCache(this.#maxEntries);
    this.#cachePlugin = options.cachePlugin;
    this.#shared = options.distributedCache;
    this.#msalLogLevel = options.msalLogLevel;
    this.#assertionFor = options.assertionFor;
    this.#credential = resolveAppCredential(options.clientCredential, options.managedIdentity);
  }

  /** How many On-Behalf-Of tokens the in-memory cache holds. */
  get cacheSize(): number {
    return this.#cache.size;
  }

  /** Loads the app credential now (reads Key Vault), so a bad credential fails at start-up, not on the first call. */
  async ready(): Promise<void> {
    await this.#client();
  }

  #client(): Promise<ConfidentialClientApplication> {
    this.#cca ??= (async () => {
      const credential = typeof this.#credential === 'function' ? await this.#credential() : this.#credential;
      return createMsalClient({
        azureAd: this.#azureAd,
        credential,
        cachePlugin: this.#cachePlugin,
        logLevel: this.#msalLogLevel,
        logger: this.#logger,
      });
    })().catch((error: unknown) => {
      // A later call may succeed (e.g. Key Vault back), but not sooner than a few seconds: callers
      // in between get the same clear error without another Key Vault round trip each.
      setTimeout(() => {
        this.#cca = undefined;
      }, CREDENTIAL_RETRY_MS).unref();
      throw error;
    });
    return this.#cca;
  }

  /**
   * Proves the app credential to Entra ID without a user: a client-credentials request for the
   * app itself (`{clientId}/.default`). Rejects with the mapped error (a wrong or expired secret,
   * an unregistered certificate, a missing federated credential: each with its AADSTS code).
   * For deployment checks (`doctor`); serving never needs it.
   */
  async verifyAppCredential(): Promise<void> {
    let cca: ConfidentialClientApplication;
    try {
      cca = await this.#client();
    } catch (error) {
      throw mapOboError(error);
    }
    try {
      const result = await cca.acquireTokenByClientCredential({
        scopes: [`${this.#azureAd.clientId}/.default`],
        skipCache: true,
      });
      if (!result?.accessToken) throw new Error('no token in the answer');
    } catch (error) {
      releaseDefaultThrottle(cca);
      throw mapOboError(error);
    }
  }

  getTokenCredential(context?: RequestAuthContext): TokenCredential {
    const caller = context ?? this.#accessor.current();
    return { getToken: (scopes, options) => this.#getToken(caller, scopes, options) };
  }

  async #getToken(
    caller: RequestAuthContext | undefined,
    scopes: string | string[],
    options?: GetTokenOptions,
  ): Promise<AccessToken> {
    if (!caller) {
      throw new OutboundCredentialError(
        'no_caller_context',
        'JwtObo needs the caller, but runs outside an authenticated request',
      );
    }
    if (caller.principal.kind === 'app') {
      throw new OutboundCredentialError(
        'app_only_caller',
        'JwtObo cannot act for an application caller (an app-only token has no user to act for); use ManagedIdentity for app-to-app calls',
      );
    }
    const tenantId = caller.principal.tenantId;
    if (options?.tenantId && options.tenantId.toLowerCase() !== tenantId) {
      throw new OutboundCredentialError('tenant_mismatch', "the requested tenant is not the caller's tenant");
    }
    if (caller.expiresOnTimestampMs <= this.#now()) {
      throw new OutboundCredentialError(
        'caller_token_rejected',
        "the caller's token has expired; sign in again",
      );
    }
    const list = normaliseScopes(scopes);
    const key = `${hash('sha256', caller.rawToken, 'base64')}\n${tenantId}\n${[...list].sort().join(' ')}`;
    try {
      // a span per token request: which resource, and whether a cache answered (never the token)
      return await withSpan(
        'mcp_auth.outbound.token',
        { 'mcp_auth.provider': 'JwtObo', 'mcp_auth.resource': resourceOfScope(list[0]!) },
        async (span) => {
          let fetched = false;
          const token = await this.#getOrFetch(caller, tenantId, list, key, options, () => {
            fetched = true;
          });
          span.setAttribute('mcp_auth.cache', fetched ? 'miss' : 'hit');
          recordTokenRequest('JwtObo', fetched ? 'miss' : 'hit');
          return token;
        },
      );
    } catch (error) {
      // the HTTP adapter answers this request 401 insufficient_claims while it still can
      if (error instanceof OutboundCredentialError && error.code === 'claims_challenge' && error.claims) {
        recordClaimsChallenge(caller, error.claims);
      }
      throw error;
    }
  }

  #getOrFetch(
    caller: RequestAuthContext,
    tenantId: string,
    list: string[],
    key: string,
    options: GetTokenOptions | undefined,
    onFetch: () => void,
  ): Promise<AccessToken> {
    return this.#cache.getOrFetch(
      key,
      async () => {
        onFetch();
        const partition = `${tenantId}.${caller.principal.objectId}`;
        const shared = await this.#shared?.get(partition, key);
        if (shared) return shared;
        const token = await this.#acquire(caller, tenantId, list, options?.abortSignal);
        await this.#shared?.set(partition, key, token);
        return token;
      },
      this.#now(),
    );
  }

  async #acquire(
    caller: RequestAuthContext,
    tenantId: string,
    scopes: string[],
    signal?: { aborted: boolean },
  ): Promise<AccessToken> {
    let cca: ConfidentialClientApplication;
    try {
      cca = await this.#client();
    } catch (error) {
      if (error instanceof OutboundCredentialError) throw error;
      throw new OutboundCredentialError('provider_unavailable', 'JwtObo could not be set up', {
        cause: error,
      });
    }
    if (signal?.aborted)
      throw new OutboundCredentialError('provider_unavailable', 'the token request was aborted');
    const started = performance.now();
    try {
      const result = await cca.acquireTokenOnBehalfOf({
        oboAssertion: (await this.#assertionFor?.(caller)) ?? caller.rawToken,
        scopes,
        authority: `${this.#azureAd.instance}${tenantId}`,
      });
      if (!result?.accessToken || !result.expiresOn) {
        throw new OutboundCredentialError('provider_unavailable', 'the identity provider returned no token');
      }
      this.#bound(cca);
      recordIdpCall('on_behalf_of', (performance.now() - started) / 1000);
      return {
        token: result.accessToken,
        expiresOnTimestamp: result.expiresOn.getTime(),
        tokenType: 'Bearer',
      };
    } catch (error) {
      releaseDefaultThrottle(cca);
      const mapped = mapOboError(error);
      recordIdpCall('on_behalf_of', (performance.now() - started) / 1000, mapped.code);
      if (mapped.code === 'app_credential_rejected') {
        this.#logger.warn(
          `JwtOboCredentialProvider: the app's client credential was refused (${mapped.message})`,
        );
      }
      throw mapped;
    }
  }

  /** msal-node keeps every token it obtained; without a plugin, its cache is cleared each time ours has turned over. */
  #bound(cca: ConfidentialClientApplication): void {
    if (this.#cachePlugin || this.#maxEntries <= 0) return;
    if (++this.#acquisitionsSinceClear >= this.#maxEntries) {
      this.#acquisitionsSinceClear = 0;
      cca.clearCache();
    }
  }

  describe(context?: RequestAuthContext): OutboundIdentityDescription {
    const caller = context ?? this.#accessor.current();
    const who = caller?.principal.userPrincipalName ?? caller?.principal.objectId ?? 'the caller';
    return { type: this.type, identity: `${who} via On-Behalf-Of (app ${this.#azureAd.clientId})` };
  }

  async close(): Promise<void> {
    this.#cache.clear();
    await this.#shared?.close();
    const cca = await this.#cca?.catch(() => undefined);
    cca?.clearCache();
  }
}
