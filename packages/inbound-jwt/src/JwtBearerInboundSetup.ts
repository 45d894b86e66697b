import {
  type AuthContextAccessor,
  type AzureAdConfig,
  createDefaultLogger,
  defaultAuthContextAccessor,
  type IInboundAuthSetup,
  type InboundOutcome,
  type InboundRequest,
  type Logger,
  type McpAuthInfo,
  safeErrorMessage,
  toAuthInfo,
} from '@mcp-auth-kit/auth-core';
import { outcomeFor, serverSideFailure } from './challenge.js';
import { InboundAuthError } from './errors.js';
import { JwtBearerValidator, type JwtBearerValidatorOptions } from './JwtBearerValidator.js';
import { parseAuthorizationHeader } from './parseAuthorizationHeader.js';
import { scopesForResource } from './protectedResourceMetadata.js';
import { sdkOAuthError } from './sdkErrors.js';

/** On a socket: the last token it presented and that token's cache key (dropped with the socket). */
const LAST_TOKEN = Symbol('mcp-auth-kit.lastToken');

export interface JwtBearerInboundSetupOptions extends JwtBearerValidatorOptions {
  /** The accessor the middleware fills; default `defaultAuthContextAccessor`. */
  readonly accessor?: AuthContextAccessor;
  /** Set as `AuthInfo.resource` (this server's public MCP URL). */
  readonly resourceUrl?: string;
  /**
   * Where signing-key outages (once per outage, with the cause) and unexpected failures go; the
   * same logger as the outbound side. Default `@azure/logger` (AZURE_LOG_LEVEL).
   */
  readonly logger?: Logger;
}

/**
 * The `JwtBearerScheme` inbound setup: Entra ID bearer tokens on every request. Implements the MCP
 * SDK's `OAuthTokenVerifier` too, so it drops into `requireBearerAuth`.
 *
 * @example
 * const setup = createInboundSetupFactory().create(config.inboundAuthentication); // or, narrowed:
 * if (config.inboundAuthentication.type === 'JwtBearerScheme') new JwtBearerInboundSetup(config.inboundAuthentication.azureAd);
 * app.use('/mcp', requireBearerAuth({ verifier: setup }));
 */
export class JwtBearerInboundSetup implements IInboundAuthSetup {
  readonly type = 'JwtBearerScheme';
  readonly validator: JwtBearerValidator;
  readonly accessor: AuthContextAccessor;
  readonly azureAd: AzureAdConfig;
  readonly #resource: URL | undefined;
  /** The canonical resource URL, when configured: the adapters derive metadata and challenges from it. */
  readonly resourceUrl: string | undefined;
  readonly #logger: Logger;

  /** Settles while signing keys are usable (fresh, fetched now, or last known good); else rejects with why. */
  async ready(): Promise<void> {
    const status = await this.validator.jwks.status();
    if (!status.ok) throw new Error(status.reason);
  }

  constructor(azureAd: AzureAdConfig, options: JwtBearerInboundSetupOptions = {}) {
    if (!azureAd) throw new TypeError('JwtBearerInboundSetup: azureAd configuration is required');
    this.azureAd = azureAd;
    const logger = options.logger ?? createDefaultLogger();
    this.#logger = logger;
    this.validator = new JwtBearerValidator(azureAd, {
      ...options,
      jwks: {
        onRefreshError: (m: string) => logger.warn(`Inbound JWT: ${m}`),
        onRefreshRecovered: (m: string) => logger.info(`Inbound JWT: ${m}`),
        ...options.jwks,
      },
    });
    this.accessor = options.accessor ?? defaultAuthContextAccessor;
    this.#resource = options.resourceUrl ? new URL(options.resourceUrl) : undefined;
    this.resourceUrl = options.resourceUrl;
  }

  /** A 401 tells clients to ask for the configured scopes, qualified by the resource (`{resource}/{scope}`). */
  challengeScope(resource: URL): string | undefined {
    return scopesForResource(resource, this.azureAd).join(' ') || undefined;
  }

  async authenticate(request: InboundRequest & { rawHeaders?: readonly string[] }): Promise<InboundOutcome> {
    try {
      const token = parseAuthorizationHeader(request);
      return { kind: 'authenticated', context: await this.validator.validate(token) };
    } catch (error) {
      if (error instanceof InboundAuthError) return outcomeFor(error);
      this.#logger.warn(`Inbound JWT: validation failed unexpectedly: ${safeErrorMessage(error)}`);
      return serverSideFailure();
    }
  }

  /**
   * A token validated before, answered synchronously; undefined when it needs `authenticate`. A
   * connection that presents the same token as on its previous request skips even the hash: the
   * socket remembers that token (while it is open) and its cache key.
   */
  authenticateCached(
    request: InboundRequest & { rawHeaders?: readonly string[]; socket?: object },
  ): InboundOutcome | undefined {
    let token: string;
    try {
      token = parseAuthorizationHeader(request);
    } catch {
      return undefined; // `authenticate` answers it
    }
    const socket = request.socket as { [LAST_TOKEN]?: readonly [string, string] } | undefined;
    const last = socket?.[LAST_TOKEN];
    const key = last !== undefined && last[0] === token ? last[1] : this.validator.cacheKey(token);
    const context = this.validator.validateCached(token, key);
    if (!context) return undefined;
    if (socket && last?.[1] !== key) socket[LAST_TOKEN] = [token, key];
    return { kind: 'authenticated', context };
  }

  /**
   * OAuthTokenVerifier of both MCP SDK generations: their `requireBearerAuth` (v1; v2's Express
   * middleware and web-standard gate) answers 401 `invalid_token` with a challenge for an invalid
   * token, 403 `insufficient_scope` for a missing scope, and the SDK's server-error status (never
   * 401) when signing keys cannot be had.
   */
  async verifyAccessToken(token: string): Promise<McpAuthInfo> {
    try {
      return toAuthInfo(await this.validator.validate(token), this.#resource);
    } catch (error) {
      if (!(error instanceof InboundAuthError))
        throw await sdkOAuthError('server_error', 'token validation failed');
      if (error.code === 'insufficient_scope') throw await sdkOAuthError('insufficient_scope', error.message);
      if (error.code === 'provider_unavailable') throw await sdkOAuthError('server_error', error.message);
      throw await sdkOAuthError('invalid_token', error.message);
    }
  }
}
