import { hash } from 'node:crypto';
import {
  type AzureAdConfig,
  createRequestAuthContext,
  type RequestAuthContext,
} from '@mcp-auth-kit/auth-core';
import { recordInbound, withSpan } from '@mcp-auth-kit/auth-core/internal';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { type AllowedClient, ClientPolicy } from './clientPolicy.js';
import { InboundAuthError, type InvalidTokenReason } from './errors.js';
import { JwksCache, type JwksCacheOptions } from './JwksCache.js';
import { countDots, describeJoseError, joseReason } from './joseErrors.js';

export interface JwtBearerValidatorOptions {
  /** Verified tokens kept for their own lifetime (keyed by a SHA-256 of the token); default 10 000, 0 disables. */
  readonly cacheMaxEntries?: number;
  /** The v1 issuer for a tenant; default `https://sts.windows.net/{tid}/` (public cloud). */
  readonly v1Issuer?: (tenantId: string) => string;
  /** Longest token accepted, in characters; default 16 384. */
  readonly maxTokenLength?: number;
  /**
   * Longest remaining lifetime accepted (`exp` minus now), in seconds; default 100 800 (28 hours,
   * the longest Entra ID issues, to CAE-capable clients). A token valid for longer is refused.
   */
  readonly maxTokenLifetimeSeconds?: number;
  /** Signing key options (timeouts, cooldown, last-known-good window). */
  readonly jwks?: Omit<JwksCacheOptions, 'discoveryUrl' | 'now'>;
  /** The clock, in milliseconds; default `Date.now`. */
  readonly now?: () => number;
  /**
   * The server's canonical resource URL (= the app's Application ID URI): v1 tokens carry it as
   * `aud`, so it is accepted beside the configured audiences.
   */
  readonly resourceUrl?: string;
  /**
   * Application (app-only) tokens: `allow` (default) or `refuse` with 403 and a description that
   * says why (createMcpAuth refuses them under JwtObo unless `appOnlyCallers` is ManagedIdentity:
   * On-Behalf-Of needs a user).
   */
  readonly appOnlyCallers?: 'allow' | 'refuse';
  /**
   * The client applications admitted, by app id (`azp` / `appid`), each optionally with the
   * metadata document URL of the client it represents: any other client gets a 403 that says
   * why. Default: every client the tenant admitted.
   */
  readonly allowedClients?: readonly AllowedClient[];
}

type CachedContext = Omit<RequestAuthContext, 'rawToken'>;

/** RFC 6750 token68; checked on a full validation (a cached token is one that passed it). */
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;
const KEY_CARRYING_HEADERS = ['jku', 'x5u', 'jwk', 'x5c'] as const;

/**
 * Validates Entra ID access tokens: signature (JWKS from OIDC discovery), algorithm allow-list,
 * issuer per token version and tenant, audience, lifetime with clock skew, `scp`/`roles`, and the
 * configured required roles and scopes. The pure core of inbound authentication: token in,
 * RequestAuthContext out, or an InboundAuthError.
 */
export class JwtBearerValidator {
  readonly #config: AzureAdConfig;
  readonly #jwks: JwksCache;
  readonly #audiences: ReadonlySet<string>;
  readonly #algorithms: string[];
  readonly #cache = new Map<string, CachedContext>();
  readonly #cacheMax: number;
  readonly #maxTokenLength: number;
  readonly #maxLifetimeMs: number;
  readonly #v1Issuer: (tenantId: string) => string;
  readonly #now: () => number;
  readonly #multiTenant: boolean;
  readonly #allowedTenants: ReadonlySet<string>;
  readonly #refuseAppOnly: boolean;
  readonly #clients: ClientPolicy | undefined;

  constructor(config: AzureAdConfig, options: JwtBearerValidatorOptions = {}) {
    this.#config = config;
    this.#now = options.now ?? Date.now;
    this.#jwks = new JwksCache({
      ...options.jwks,
      discoveryUrl: `${config.instance}${config.tenantId}/v2.0/.well-known/openid-configuration`,
      now: this.#now,
    });
    const audiences = new Set<string>();
    if (config.audience) audiences.add(config.audience);
    if (config.clientId) {
      audiences.add(config.clientId);
      audiences.add(`api://${config.clientId}`);
    }
    if (options.resourceUrl) audiences.add(options.resourceUrl);
    if (audiences.size === 0) throw new TypeError('JwtBearerValidator: azureAd needs clientId or audience');
    this.#audiences = audiences;
    this.#algorithms = [...config.allowedAlgorithms];
    this.#cacheMax = options.cacheMaxEntries ?? 10_000;
    this.#refuseAppOnly = options.appOnlyCallers === 'refuse';
    this.#clients = options.allowedClients ? new ClientPolicy(options.allowedClients) : undefined;
    this.#maxTokenLength = options.maxTokenLength ?? 16_384;
    this.#maxLifetimeMs = (options.maxTokenLifetimeSeconds ?? 100_800) * 1000;
    this.#v1Issuer = options.v1Issuer ?? ((tid) => `https://sts.windows.net/${tid}/`);
    this.#multiTenant = config.tenantId === 'organizations' || config.tenantId === 'common';
    this.#allowedTenants = new Set(config.allowedTenants);
  }

  /** The signing key cache (its status is the readiness of signing keys). */
  get jwks(): JwksCache {
    return this.#jwks;
  }

  /** How many verified tokens are cached. */
  get cacheSize(): number {
    return this.#cache.size;
  }

  /** Validates `token`; resolves to the caller's context or rejects with an InboundAuthError. */
  /**
   * Validates one bearer token: the context, or an InboundAuthError. Each call is a span
   * (`mcp_auth.inbound.validate`) and counts toward `mcp_auth.inbound.requests` by outcome and
   * reason when OpenTelemetry is installed.
   */
  validate(token: string): Promise<RequestAuthContext> {
    if (token.length > this.#maxTokenLength) {
      recordInbound('invalid_token', 'too_large');
      return Promise.reject(invalid('the token is too large', 'too_large'));
    }
    const cacheKey = this.#cacheMax > 0 ? hash('sha256', token, 'base64') : '';
    const seen = this.#cacheMax > 0 ? this.#fromCache(token, cacheKey) : undefined;
    if (seen) return Promise.resolve(seen);
    return this.#validateNew(token, cacheKey);
  }

  /**
   * A token validated before and still valid, answered synchronously (a hash and a map lookup:
   * no promise, no span); undefined when it needs a full validation (`validate`).
   */
  validateCached(token: string, cacheKey?: string): RequestAuthContext | undefined {
    if (this.#cacheMax === 0 || token.length > this.#maxTokenLength) return undefined;
    return this.#fromCache(token, cacheKey ?? this.cacheKey(token));
  }

  /** The key a token is cached under: its SHA-256 (the cache never holds a token). */
  cacheKey(token: string): string {
    return hash('sha256', token, 'base64');
  }

  #fromCache(token: string, cacheKey: string): RequestAuthContext | undefined {
    const cached = this.#cache.get(cacheKey);
    if (!cached) return undefined;
    if (cached.expiresOnTimestampMs + this.#config.clockSkewSeconds * 1000 > this.#now()) {
      // a token seen before: counted, but no span (it is a hash and a map lookup)
      recordInbound('authenticated', 'cached');
      return { ...cached, rawToken: token };
    }
    this.#cache.delete(cacheKey);
    return undefined;
  }

  #validateNew(token: string, cacheKey: string): Promise<RequestAuthContext> {
    return withSpan('mcp_auth.inbound.validate', {}, async () => {
      try {
        const context = await this.#validate(token, cacheKey);
        recordInbound('authenticated');
        return context;
      } catch (error) {
        if (error instanceof InboundAuthError) recordInbound(error.code, error.reason);
        else recordInbound('error');
        throw error;
      }
    });
  }

  /** Full validation of a token not in the cache (or expired there). */
  async #validate(token: string, cacheKey: string): Promise<RequestAuthContext> {
    if (!TOKEN68.test(token)) {
      throw new InboundAuthError('invalid_request', 'the Authorization header must be "Bearer <token>"', {
        reason: 'malformed',
      });
    }
    const dots = countDots(token);
    if (dots === 4) throw invalid('encrypted tokens (JWE) are not accepted', 'encrypted');
    if (dots !== 2) throw invalid('the bearer token is not a JWT', 'malformed');
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw invalid('the token header is malformed', 'malformed');
    }
    if (typeof header.alg !== 'string' || !this.#algorithms.includes(header.alg)) {
      throw invalid(
        `the signing algorithm is not accepted (accepted: ${this.#algorithms.join(', ')})`,
        'algorithm',
      );
    }
    if (KEY_CARRYING_HEADERS.some((h) => h in header)) {
      throw invalid(
        'tokens that carry their own key reference (jku, x5u, jwk, x5c) are not accepted',
        'key_reference',
      );
    }
    if (typeof header.kid !== 'string' || header.kid === '')
      throw invalid('the token header has no key id', 'malformed');

    const key = await this.#jwks.getKey(header.kid);
    let claims: Record<string, unknown>;
    try {
      ({ payload: claims } = await jwtVerify(token, key, {
        algorithms: this.#algorithms,
        clockTolerance: this.#config.clockSkewSeconds,
        currentDate: new Date(this.#now()),
        requiredClaims: ['exp'],
      }));
    } catch (error) {
      throw invalid(describeJoseError(error), joseReason(error), error);
    }
    this.#checkClaims(claims);
    if ((claims.exp as number) * 1000 - this.#now() > this.#maxLifetimeMs) {
      throw invalid(
        'the token is valid for longer than this server accepts (exp is too far ahead)',
        'lifetime',
      );
    }
    let context: RequestAuthContext;
    try {
      context = createRequestAuthContext(token, claims);
    } catch (error) {
      throw invalid('the token lacks a claim the server needs (tid, oid, exp, aud)', 'missing_claim', error);
    }
    if (this.#clients) context = this.#clients.admit(context);
    this.#authorize(context);
    if (this.#cacheMax > 0) {
      if (this.#cache.size >= this.#cacheMax) this.#cache.delete(this.#cache.keys().next().value!);
      const { rawToken: _omitted, ...rest } = context;
      this.#cache.set(cacheKey, rest);
    }
    return context;
  }

  #checkClaims(claims: Record<string, unknown>): void {
    const tid = typeof claims.tid === 'string' ? claims.tid.toLowerCase() : undefined;
    if (!tid) throw invalid('the token has no tenant id (tid)', 'missing_claim');
    if (this.#multiTenant ? !this.#allowedTenants.has(tid) : tid !== this.#config.tenantId) {
      throw invalid('the token is from a tenant this server does not accept', 'tenant');
    }
    const expectedIssuer =
      claims.ver === '2.0'
        ? `${this.#config.instance}${tid}/v2.0`
        : claims.ver === '1.0'
          ? this.#v1Issuer(tid)
          : undefined;
    if (expectedIssuer === undefined) throw invalid('the token version (ver) is not 1.0 or 2.0', 'version');
    if (typeof claims.iss !== 'string' || claims.iss.toLowerCase() !== expectedIssuer.toLowerCase()) {
      throw invalid('the token issuer does not match its version and tenant', 'issuer');
    }
    const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!aud.some((a) => typeof a === 'string' && this.#audiences.has(a))) {
      throw invalid('the token was not issued for this server (audience)', 'audience');
    }
    const hasScp = typeof claims.scp === 'string' && claims.scp.trim() !== '';
    const hasRoles =
      Array.isArray(claims.roles) && claims.roles.some((r) => typeof r === 'string' && r.trim() !== '');
    if (!hasScp && !hasRoles)
      throw invalid(
        'the token carries neither delegated scopes (scp) nor app roles (roles)',
        'no_scope_or_role',
      );
  }

  #authorize(context: RequestAuthContext): void {
    if (this.#refuseAppOnly && context.principal.kind === 'app') {
      throw new InboundAuthError(
        'insufficient_scope',
        'application tokens (no signed-in user) are not served: this server calls downstream services on behalf of a signed-in user; use a delegated token',
      );
    }
    const { requiredRoles, requiredScopes } = this.#config;
    if (requiredRoles.length === 0 && requiredScopes.length === 0) return;
    const ok =
      requiredRoles.some((r) => context.roles.includes(r)) ||
      requiredScopes.some((s) => context.scopes.includes(s));
    if (!ok) {
      // the 403's scope names what a client can request (scopes); app roles are assigned, not requested
      throw new InboundAuthError(
        'insufficient_scope',
        'the token lacks a required role or scope',
        requiredScopes.length > 0 ? { scope: requiredScopes.join(' ') } : {},
      );
    }
  }
}

function invalid(message: string, reason: InvalidTokenReason, cause?: unknown): InboundAuthError {
  return new InboundAuthError('invalid_token', message, { reason, cause });
}
