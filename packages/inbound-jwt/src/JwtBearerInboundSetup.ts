import {
  type AuthContextAccessor,
  type AzureAdConfig,
  defaultAuthContextAccessor,
  type IInboundAuthSetup,
  type InboundOutcome,
  type InboundRequest,
  type McpAuthInfo,
  toAuthInfo,
} from '@mcp-auth-kit/auth-core';
import {
  InsufficientScopeError,
  InvalidTokenError,
  ServerError,
} from '@modelcontextprotocol/sdk/server/auth/errors.js';
import { outcomeFor } from './challenge.js';
import { InboundAuthError } from './errors.js';
import { JwtBearerValidator, type JwtBearerValidatorOptions } from './JwtBearerValidator.js';
import { parseAuthorizationHeader } from './parseAuthorizationHeader.js';

export interface JwtBearerInboundSetupOptions extends JwtBearerValidatorOptions {
  /** The accessor the middleware fills; default `defaultAuthContextAccessor`. */
  readonly accessor?: AuthContextAccessor;
  /** Set as `AuthInfo.resource` (this server's public MCP URL). */
  readonly resourceUrl?: string;
}

/**
 * The `JwtBearerScheme` inbound setup: Entra ID bearer tokens on every request. Implements the MCP
 * SDK's `OAuthTokenVerifier` too, so it drops into `requireBearerAuth`.
 *
 * @example
 * const setup = new JwtBearerInboundSetup(config.inboundAuthentication.azureAd!);
 * app.use('/mcp', requireBearerAuth({ verifier: setup }));
 */
export class JwtBearerInboundSetup implements IInboundAuthSetup {
  readonly type = 'JwtBearerScheme';
  readonly validator: JwtBearerValidator;
  readonly accessor: AuthContextAccessor;
  readonly azureAd: AzureAdConfig;
  readonly #resource: URL | undefined;

  constructor(azureAd: AzureAdConfig, options: JwtBearerInboundSetupOptions = {}) {
    if (!azureAd) throw new TypeError('JwtBearerInboundSetup: azureAd configuration is required');
    this.azureAd = azureAd;
    this.validator = new JwtBearerValidator(azureAd, options);
    this.accessor = options.accessor ?? defaultAuthContextAccessor;
    this.#resource = options.resourceUrl ? new URL(options.resourceUrl) : undefined;
  }

  async authenticate(request: InboundRequest & { rawHeaders?: readonly string[] }): Promise<InboundOutcome> {
    try {
      const token = parseAuthorizationHeader(request);
      return { kind: 'authenticated', context: await this.validator.validate(token) };
    } catch (error) {
      if (error instanceof InboundAuthError) return outcomeFor(error);
      return {
        kind: 'unavailable',
        retryAfterSeconds: 5,
        errorDescription: 'authentication failed on the server side',
      };
    }
  }

  /** OAuthTokenVerifier: the MCP SDK's `requireBearerAuth` maps the thrown errors to 401/403. */
  async verifyAccessToken(token: string): Promise<McpAuthInfo> {
    try {
      return toAuthInfo(await this.validator.validate(token), this.#resource);
    } catch (error) {
      if (!(error instanceof InboundAuthError)) throw new ServerError('token validation failed');
      if (error.code === 'insufficient_scope') throw new InsufficientScopeError(error.message);
      if (error.code === 'provider_unavailable') throw new ServerError(error.message);
      throw new InvalidTokenError(error.message);
    }
  }
}
