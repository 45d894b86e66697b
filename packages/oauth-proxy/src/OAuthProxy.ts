// The authorization-server façade: MCP clients register themselves (Client ID Metadata Documents
// or Dynamic Client Registration) and sign in here; the user consents, then signs in at Entra ID
// with the server's own app registration; the façade keeps the user's upstream tokens (sealed) and
// issues its own short-lived access tokens and rotating refresh tokens. On-Behalf-Of downstream
// uses the stored upstream token as its assertion. Endpoints live in handlers/, records in models/.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  createDefaultLogger,
  createRequestAuthContext,
  type IInboundAuthSetup,
  isLoopbackHost,
  type Logger,
  type RequestAuthContext,
} from '@mcp-auth-kit/auth-core';
import type { JWK } from 'jose';
import type { FacadeContext } from './context.js';
import { OAuthProxyConfigError, SignInRevokedError } from './errors.js';
import { authorizationServerMetadata } from './handlers/metadata.js';
import { handleNode } from './http/node.js';
import { facadeInbound, upstreamAssertion } from './inbound.js';
import { AccessTokens } from './models/AccessTokens.js';
import { Authorizations } from './models/Authorizations.js';
import { Clients } from './models/Clients.js';
import { Grants } from './models/Grants.js';
import { type OAuthProxyOptions, positive } from './options.js';
import { clientAddress, rateKey, trustedProxyList } from './policies/clientAddress.js';
import { Limits } from './policies/Limits.js';
import { isFacadePath, route } from './router.js';
import type { FacadeStore } from './store/FacadeStore.js';
import { MemoryFacadeStore } from './store/MemoryFacadeStore.js';
import { SealedStore } from './store/SealedStore.js';
import { Upstream } from './upstream.js';

const CODE_MS = 60_000;

/** The façade: mount `handle` (node:http) or `fetch` in front of the MCP server; `inbound()` and `assertionFor` wire it into the kit. */
export class OAuthProxy {
  readonly issuer: string;
  readonly resource: string;
  readonly scopes: readonly string[];
  readonly #ctx: FacadeContext;
  readonly #store: FacadeStore;
  readonly #logger: Logger;
  readonly #refreshing = new Map<string, Promise<string>>();

  constructor(options: OAuthProxyOptions) {
    const issuer = new URL(options.issuer);
    if (issuer.protocol !== 'https:' && !isLoopbackHost(issuer.hostname)) {
      throw new OAuthProxyConfigError('OAuthProxy: the issuer must be https (http only on a loopback host)');
    }
    this.issuer = issuer.href.replace(/\/$/, '');
    this.resource = new URL(options.resource).href;
    this.scopes = options.scopes ?? ['mcp.tools'];
    this.#logger = options.logger ?? createDefaultLogger();
    this.#store = options.store ?? new MemoryFacadeStore();
    const store = new SealedStore(this.#store, options.encryptionKey ?? randomBytes(32));
    const refreshLifetimeMs =
      positive(options.refreshTokenLifetimeSeconds, 14 * 86_400, 'refreshTokenLifetimeSeconds') * 1000;
    const limits = new Limits(options.rateLimits);
    this.#ctx = {
      issuer: this.issuer,
      resource: this.resource,
      scopes: this.scopes,
      callbackUrl: `${this.issuer}/oauth/callback`,
      trustedProxies: trustedProxyList(options.trustedProxies),
      clients: new Clients(store, limits, {
        lifetimeMs: refreshLifetimeMs * 4,
        devMode: options.devMode ?? false,
        metadataTimeoutMs: positive(options.metadataDocumentTimeoutMs, 5_000, 'metadataDocumentTimeoutMs'),
      }),
      authorizations: new Authorizations(store),
      grants: new Grants(store, {
        lifetimeMs: refreshLifetimeMs,
        codeMs: CODE_MS,
        graceMs: positive(options.refreshReuseGraceSeconds, 10, 'refreshReuseGraceSeconds', true) * 1000,
        logger: this.#logger,
      }),
      tokens: new AccessTokens({
        issuer: this.issuer,
        resource: this.resource,
        lifetimeSeconds: positive(options.accessTokenLifetimeSeconds, 600, 'accessTokenLifetimeSeconds'),
        ...(options.signingKeyPem ? { signingKeyPem: options.signingKeyPem } : {}),
      }),
      upstream: new Upstream(options.upstream),
      limits,
      logger: this.#logger,
    };
  }

  /** The redirect URI the app registration needs (a Web platform redirect URI). */
  get callbackUrl(): string {
    return this.#ctx.callbackUrl;
  }

  /** RFC 8414 authorization server metadata. */
  metadata(): Record<string, unknown> {
    return authorizationServerMetadata(this.#ctx);
  }

  jwks(): Promise<{ keys: JWK[] }> {
    return this.#ctx.tokens.jwks();
  }

  /**
   * Start-up check of the store (the kit runs it): a Redis store whose eviction policy could drop
   * sign-ins fails here; where the policy cannot be read, a warning says so.
   */
  async ready(): Promise<void> {
    const result = await this.#store.check?.();
    if (result && !result.checked) {
      this.#logger.warn(
        "OAuth proxy: the store's eviction policy could not be read (CONFIG is disabled); make sure Redis runs with maxmemory-policy noeviction",
      );
    }
  }

  /** Serves the façade's paths (node:http); false, and nothing written, for any other path. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    return handleNode(req, res, (request, peer) => this.#serve(request, peer), this.#logger, 'OAuth proxy');
  }

  /**
   * The same for fetch-style hosts (Hono, Bun, Deno, Workers): a Response for the façade's paths,
   * undefined for any other. `remoteAddress` (the host knows it) keys the rate limits.
   */
  async fetch(request: Request, remoteAddress?: string): Promise<Response | undefined> {
    if (!isFacadePath(new URL(request.url).pathname)) return undefined;
    return this.#serve(request, remoteAddress);
  }

  #serve(request: Request, peer: string | undefined): Promise<Response> {
    const address = rateKey(clientAddress(peer, request.headers, this.#ctx.trustedProxies));
    return route(this.#ctx, { request, url: new URL(request.url), address });
  }

  /** Validates a façade access token (signature, issuer, audience, lifetime) and that its sign-in is live. */
  async verifyAccessToken(token: string): Promise<RequestAuthContext> {
    const payload = await this.#ctx.tokens.verify(token);
    // a revoked sign-in (revocation, or a code or refresh token replayed) ends its access tokens at
    // once, on every replica: the sign-in is looked up on each request
    if (!(await this.#ctx.grants.get(String(payload.grant)))) throw new SignInRevokedError();
    return createRequestAuthContext(token, payload as Record<string, unknown>);
  }

  /**
   * Inbound authentication that accepts façade tokens and, when `entra` is given, Entra ID tokens
   * too (configuration decides which issuers are accepted).
   */
  inbound(entra?: IInboundAuthSetup): IInboundAuthSetup {
    return facadeInbound(this.issuer, (token) => this.verifyAccessToken(token), this.#logger, entra);
  }

  /**
   * The On-Behalf-Of assertion for a caller: for a façade token, the user's stored upstream Entra
   * token (renewed upstream when it is about to expire); undefined for any other caller.
   */
  assertionFor = async (caller: RequestAuthContext): Promise<string | undefined> => {
    if (caller.claims.iss !== this.issuer) return undefined;
    const grantId = String(caller.claims.grant ?? '');
    const running = this.#refreshing.get(grantId);
    if (running) return running;
    const renewing = upstreamAssertion(this.#ctx, grantId);
    this.#refreshing.set(grantId, renewing);
    try {
      return await renewing;
    } finally {
      this.#refreshing.delete(grantId);
    }
  };
}
