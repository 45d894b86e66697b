// The authorization-server façade: MCP clients register themselves (Client ID Metadata Documents
// or Dynamic Client Registration) and sign in here; the user consents, then signs in at Entra ID
// with the server's own app registration; the façade keeps the user's upstream tokens (sealed) and
// issues its own short-lived access tokens and rotating refresh tokens. On-Behalf-Of downstream
// uses the stored upstream token as its assertion.
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import {
  createDefaultLogger,
  createRequestAuthContext,
  type IInboundAuthSetup,
  type InboundOutcome,
  type InboundRequest,
  type Logger,
  type RequestAuthContext,
  safeErrorMessage,
} from '@mcp-auth-kit/auth-core';
import { OutboundCredentialError } from '@mcp-auth-kit/outbound-credentials';
import {
  calculateJwkThumbprint,
  decodeJwt,
  exportJWK,
  type JWK,
  type JWTPayload,
  jwtVerify,
  SignJWT,
} from 'jose';
import {
  ClientMetadataError,
  type ClientRecord,
  fetchClientMetadata,
  isMetadataDocumentUrl,
  parseClientMetadata,
} from './clientMetadata.js';
import { OAuthError } from './errors.js';
import { consentPage, errorPage } from './pages.js';
import { RateLimiter } from './rateLimit.js';
import { type FacadeStore, MemoryFacadeStore, SealedStore } from './store.js';
import { Upstream, UpstreamError, type UpstreamOptions, type UpstreamTokens } from './upstream.js';

export interface OAuthProxyOptions {
  /** The façade's issuer: this server's origin, e.g. `https://mcp.contoso.com` (metadata at `/.well-known/oauth-authorization-server`). */
  readonly issuer: string;
  /** The MCP endpoint: the audience of the façade's tokens. */
  readonly resource: string;
  /** Entra ID and the server's app registration with its confidential credential. */
  readonly upstream: UpstreamOptions;
  /** The scopes clients may ask for; default `['mcp.tools']`. */
  readonly scopes?: readonly string[];
  /**
   * The façade's signing key: PKCS#8 PEM of an EC P-256 key. Every replica needs the same one;
   * default a new key per process (one replica, and a restart invalidates issued tokens).
   */
  readonly signingKeyPem?: string;
  /** 32 bytes sealing every stored record; the same on every replica. Default: new per process. */
  readonly encryptionKey?: Buffer;
  /** Default in memory; `RedisFacadeStore` for replicas. */
  readonly store?: FacadeStore;
  /** Default 600 (10 minutes). */
  readonly accessTokenLifetimeSeconds?: number;
  /** Default 14 days; each refresh rotates the token. */
  readonly refreshTokenLifetimeSeconds?: number;
  /** Dev mode: client metadata documents on loopback (http or https) are accepted. */
  readonly devMode?: boolean;
  /** Per minute and per client address: registrations (default 10), token requests (default 300), metadata documents fetched (default 30). */
  readonly rateLimits?: {
    readonly registrationsPerMinute?: number;
    readonly tokenRequestsPerMinute?: number;
    /** Client metadata documents fetched (not cached) per address; default 30. */
    readonly metadataDocumentsPerMinute?: number;
  };
  /** Where it says what went wrong (never a token or secret); default `@azure/logger`. */
  readonly logger?: Logger;
}

interface PendingAuthorization {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly codeChallenge: string;
  readonly state: string | undefined;
  readonly scopes: readonly string[];
  readonly loginHint: string | undefined;
  readonly csrf: string;
  readonly browser: string;
}

interface UpstreamRoundTrip {
  readonly transaction: PendingAuthorization;
  readonly verifier: string;
}

interface Grant {
  readonly clientId: string;
  readonly scopes: readonly string[];
  readonly user: {
    readonly oid: string;
    readonly tid: string;
    readonly upn: string | undefined;
    readonly name: string | undefined;
  };
  upstream: UpstreamTokens;
}

interface IssuedCode {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly codeChallenge: string;
  readonly grantId: string;
}

interface RefreshRecord {
  readonly grantId: string;
  readonly clientId: string;
}

const TRANSACTION_MS = 10 * 60_000;
const CODE_MS = 60_000;
const MAX_FORM_BYTES = 16 * 1024;
const CSRF_COOKIE = 'mcp_auth_kit_consent';
const UPSTREAM_REFRESH_MARGIN_MS = 120_000;

class RevokedSignIn extends Error {
  constructor() {
    super('the sign-in behind this token was revoked');
  }
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('base64url');
const random = () => randomBytes(32).toString('base64url');

/** The façade: mount `handle` in front of the MCP server; `inbound()` and `assertionFor` wire it into the kit. */
export class OAuthProxy {
  readonly issuer: string;
  readonly resource: string;
  readonly scopes: readonly string[];
  readonly #upstream: Upstream;
  readonly #store: SealedStore;
  readonly #privateKey: KeyObject;
  readonly #publicKey: KeyObject;
  #jwk: JWK | undefined;
  readonly #accessLifetime: number;
  readonly #refreshLifetimeMs: number;
  readonly #devMode: boolean;
  readonly #logger: Logger;
  readonly #registrations: RateLimiter;
  readonly #tokenRequests: RateLimiter;
  readonly #documentFetches: RateLimiter;
  readonly #refreshing = new Map<string, Promise<string>>();
  readonly #verified = new Map<string, JWTPayload>();

  constructor(options: OAuthProxyOptions) {
    const issuer = new URL(options.issuer);
    if (issuer.protocol !== 'https:' && !['127.0.0.1', 'localhost', '[::1]'].includes(issuer.hostname)) {
      throw new TypeError('OAuthProxy: the issuer must be https (http only on a loopback host)');
    }
    this.issuer = issuer.href.replace(/\/$/, '');
    this.resource = new URL(options.resource).href;
    this.scopes = options.scopes ?? ['mcp.tools'];
    this.#upstream = new Upstream(options.upstream);
    this.#store = new SealedStore(
      options.store ?? new MemoryFacadeStore(),
      options.encryptionKey ?? randomBytes(32),
    );
    this.#privateKey = options.signingKeyPem
      ? createPrivateKey(options.signingKeyPem)
      : generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    if (this.#privateKey.asymmetricKeyType !== 'ec')
      throw new TypeError('OAuthProxy: the signing key must be an EC P-256 key');
    this.#publicKey = createPublicKey(this.#privateKey);
    this.#accessLifetime = options.accessTokenLifetimeSeconds ?? 600;
    this.#refreshLifetimeMs = (options.refreshTokenLifetimeSeconds ?? 14 * 86_400) * 1000;
    this.#devMode = options.devMode ?? false;
    this.#logger = options.logger ?? createDefaultLogger();
    this.#registrations = new RateLimiter(options.rateLimits?.registrationsPerMinute ?? 10, 60_000);
    this.#tokenRequests = new RateLimiter(options.rateLimits?.tokenRequestsPerMinute ?? 300, 60_000);
    this.#documentFetches = new RateLimiter(options.rateLimits?.metadataDocumentsPerMinute ?? 30, 60_000);
  }

  /** The redirect URI the app registration needs (a Web platform redirect URI). */
  get callbackUrl(): string {
    return `${this.issuer}/oauth/callback`;
  }

  /** RFC 8414 authorization server metadata. */
  metadata(): Record<string, unknown> {
    return {
      issuer: this.issuer,
      authorization_endpoint: `${this.issuer}/oauth/authorize`,
      token_endpoint: `${this.issuer}/oauth/token`,
      registration_endpoint: `${this.issuer}/oauth/register`,
      revocation_endpoint: `${this.issuer}/oauth/revoke`,
      jwks_uri: `${this.issuer}/oauth/jwks`,
      scopes_supported: this.scopes.map((s) => this.#qualify(s)),
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['none', 'client_secret_post', 'client_secret_basic'],
      revocation_endpoint_auth_methods_supported: ['none', 'client_secret_post', 'client_secret_basic'],
      authorization_response_iss_parameter_supported: true,
      client_id_metadata_document_supported: true,
    };
  }

  async jwks(): Promise<{ keys: JWK[] }> {
    if (!this.#jwk) {
      const jwk = await exportJWK(this.#publicKey);
      this.#jwk = { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: 'ES256', use: 'sig' };
    }
    return { keys: [this.#jwk] };
  }

  /** Serves the façade's paths (node:http); false, and nothing written, for any other path. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    // every MCP request passes here first: a string test, and no URL parsing, for those
    const raw = req.url ?? '/';
    if (!raw.startsWith('/oauth/') && !raw.startsWith('/.well-known/oauth-authorization-server'))
      return false;
    const url = new URL(raw, 'http://facade');
    const route = ROUTES[`${req.method ?? 'GET'} ${url.pathname}`];
    if (!route) {
      if (url.pathname === '/.well-known/oauth-authorization-server' || url.pathname.startsWith('/oauth/')) {
        json(
          res,
          url.pathname.startsWith('/oauth/') &&
            ['/oauth/token', '/oauth/register', '/oauth/revoke', '/oauth/consent'].includes(url.pathname)
            ? 405
            : 404,
          { error: 'invalid_request', error_description: 'not found' },
        );
        return true;
      }
      return false;
    }
    route(this, req, res, url).catch((error: unknown) => {
      if (error instanceof OAuthError) {
        json(res, error.status, { error: error.error, error_description: error.message }, error.headers);
        return;
      }
      this.#logger.warn(`OAuth proxy: ${url.pathname} failed unexpectedly: ${safeErrorMessage(error)}`);
      if (!res.headersSent)
        json(res, 500, { error: 'server_error', error_description: 'the request failed; try again' });
      else res.destroy();
    });
    return true;
  }

  /**
   * The same for fetch-style hosts (Hono, Bun, Deno, Workers): a Response for the façade's paths,
   * undefined for any other. `remoteAddress` keys the rate limits (the host knows it).
   */
  async fetch(request: Request, remoteAddress = 'unknown'): Promise<Response | undefined> {
    const url = new URL(request.url);
    if (url.pathname !== '/.well-known/oauth-authorization-server' && !url.pathname.startsWith('/oauth/')) {
      return undefined;
    }
    // the body, bounded as the node path bounds it (one byte over is enough to refuse it)
    const chunks: Uint8Array[] = [];
    let size = 0;
    if (request.body) {
      const reader = request.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
        chunks.push(value);
        if (size > MAX_FORM_BYTES) {
          await reader.cancel();
          break;
        }
      }
    }
    const headers: Record<string, string> = {};
    request.headers.forEach((value, key) => {
      headers[key] = value;
    });
    const req = Object.assign(Readable.from(chunks.map((c) => Buffer.from(c))), {
      method: request.method,
      url: `${url.pathname}${url.search}`,
      headers,
      socket: { remoteAddress },
    }) as unknown as IncomingMessage;
    return new Promise<Response>((resolve) => {
      const out = new Headers();
      let status = 200;
      const res = {
        headersSent: false,
        setHeader(name: string, value: string) {
          out.set(name, value);
        },
        writeHead(code: number, more: Record<string, string | number> = {}) {
          status = code;
          for (const [k, v] of Object.entries(more)) if (k !== 'content-length') out.set(k, String(v));
          res.headersSent = true;
          return res;
        },
        end(body?: string) {
          resolve(
            new Response(status === 204 || status === 302 || !body ? null : body, { status, headers: out }),
          );
        },
        destroy() {
          resolve(new Response(null, { status: 500 }));
        },
      };
      this.handle(req, res as unknown as ServerResponse);
    });
  }

  // ---- registration --------------------------------------------------------------------------

  async register(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.#registrations.check(clientAddress(req), 'too many registrations from this address');
    const body = await readJson(req);
    let metadata: ReturnType<typeof parseClientMetadata>;
    try {
      metadata = parseClientMetadata(body, 'dcr');
    } catch (error) {
      if (error instanceof ClientMetadataError) throw new OAuthError(400, error.error, error.message);
      throw error;
    }
    const clientId = `dcr-${randomBytes(16).toString('hex')}`;
    const secret = metadata.tokenEndpointAuthMethod === 'none' ? undefined : random();
    const record: ClientRecord = { clientId, ...metadata, ...(secret ? { secretHash: sha256(secret) } : {}) };
    await this.#store.set(`client:${clientId}`, record, this.#refreshLifetimeMs * 4);
    json(res, 201, {
      client_id: clientId,
      ...(secret ? { client_secret: secret, client_secret_expires_at: 0 } : {}),
      client_id_issued_at: Math.floor(Date.now() / 1000),
      client_name: metadata.clientName,
      redirect_uris: metadata.redirectUris,
      token_endpoint_auth_method: metadata.tokenEndpointAuthMethod,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    });
  }

  /** The client a `client_id` names: a registered one, or a metadata document fetched (and cached) now. */
  async client(clientId: string, address = 'unknown'): Promise<ClientRecord | undefined> {
    if (clientId.length === 0 || clientId.length > 2000) return undefined;
    if (!isMetadataDocumentUrl(clientId)) return this.#store.get<ClientRecord>(`client:${clientId}`);
    const cached = await this.#store.get<ClientRecord>(`cimd:${clientId}`);
    if (cached) return cached;
    // every document fetched is an outbound request a caller caused: limited per address
    this.#documentFetches.check(address, 'too many client metadata documents fetched for this address');
    const { document, maxAgeSeconds } = await fetchClientMetadata(clientId, { allowLoopback: this.#devMode });
    if ((document as { client_id?: unknown }).client_id !== clientId) {
      throw new ClientMetadataError('invalid_client', 'the client metadata document names another client_id');
    }
    const record: ClientRecord = { clientId, ...parseClientMetadata(document, 'cimd') };
    await this.#store.set(`cimd:${clientId}`, record, maxAgeSeconds * 1000);
    return record;
  }

  // ---- authorization -------------------------------------------------------------------------

  async authorize(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const q = url.searchParams;
    const clientId = q.get('client_id') ?? '';
    let client: ClientRecord | undefined;
    try {
      client = await this.client(clientId, clientAddress(req));
    } catch (error) {
      if (!(error instanceof ClientMetadataError)) throw error;
      html(res, 400, errorPage('Unknown client', error.message));
      return;
    }
    // RFC 6749 §4.1.2.1: with no valid client or redirect URI, say so here and never redirect
    if (!client) {
      html(res, 400, errorPage('Unknown client', `no client ${clientId.slice(0, 100)} is registered`));
      return;
    }
    const redirectUri =
      q.get('redirect_uri') ?? (client.redirectUris.length === 1 ? client.redirectUris[0]! : '');
    if (!client.redirectUris.includes(redirectUri)) {
      html(res, 400, errorPage('Redirect URI mismatch', 'the redirect_uri is not one the client registered'));
      return;
    }
    const state = q.get('state') ?? undefined;
    const fail = (error: string, description: string) =>
      redirect(res, this.#back(redirectUri, { error, error_description: description, state }));
    if (q.get('response_type') !== 'code')
      return fail('unsupported_response_type', 'response_type must be code');
    const challenge = q.get('code_challenge') ?? '';
    if (q.get('code_challenge_method') !== 'S256' || !/^[A-Za-z0-9_-]{43}$/.test(challenge)) {
      return fail('invalid_request', 'PKCE with code_challenge_method S256 is required');
    }
    const resource = q.get('resource');
    if (resource !== null && resource !== this.resource && resource !== this.resource.replace(/\/$/, '')) {
      return fail('invalid_target', `resource must be ${this.resource}`);
    }
    let scopes: string[];
    try {
      scopes = this.#scopesFrom(q.get('scope'));
    } catch (error) {
      return fail('invalid_scope', (error as Error).message);
    }
    // the browser binding: this browser's cookie when it holds one of ours, else a new one
    const held = parseCookies(req.headers.cookie)[CSRF_COOKIE];
    const browser = held && /^[A-Za-z0-9_-]{43}$/.test(held) ? held : random();
    const transaction = random();
    const pending: PendingAuthorization = {
      clientId: client.clientId,
      redirectUri,
      codeChallenge: challenge,
      state,
      scopes,
      loginHint: q.get('login_hint')?.slice(0, 256) ?? undefined,
      csrf: random(),
      browser,
    };
    await this.#store.set(`txn:${transaction}`, pending, TRANSACTION_MS);
    res.setHeader(
      'set-cookie',
      `${CSRF_COOKIE}=${browser}; Path=/oauth; HttpOnly; SameSite=Lax${this.issuer.startsWith('https:') ? '; Secure' : ''}`,
    );
    html(
      res,
      200,
      consentPage({
        clientName: client.clientName,
        clientId: client.clientId,
        redirectHost: new URL(redirectUri).host,
        scopes: scopes.map((s) => this.#qualify(s)),
        resource: this.resource,
        transaction,
        csrf: pending.csrf,
        action: '/oauth/consent',
      }),
      {
        'x-frame-options': 'DENY',
        // no form-action: browsers apply it to the redirects after the form (to Entra ID, then to
        // the client's redirect URI), which it would block; the page runs no script at all
        'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
      },
    );
  }

  async consent(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = await readForm(req);
    const transaction = form.get('transaction') ?? '';
    const pending = await this.#store.get<PendingAuthorization>(`txn:${transaction}`);
    const cookie = parseCookies(req.headers.cookie)[CSRF_COOKIE];
    if (
      !pending ||
      !safeEqual(form.get('csrf') ?? '', pending.csrf) ||
      !cookie ||
      !safeEqual(cookie, pending.browser)
    ) {
      html(
        res,
        403,
        errorPage(
          'Request refused',
          'this consent form is not valid here (expired, or not from this browser); start the sign-in again',
        ),
      );
      return;
    }
    await this.#store.delete(`txn:${transaction}`);
    if (form.get('decision') !== 'allow') {
      redirect(
        res,
        this.#back(pending.redirectUri, {
          error: 'access_denied',
          error_description: 'the user denied access',
          state: pending.state,
        }),
      );
      return;
    }
    const upstreamState = random();
    const verifier = random();
    await this.#store.set(
      `up:${upstreamState}`,
      { transaction: pending, verifier } satisfies UpstreamRoundTrip,
      TRANSACTION_MS,
    );
    redirect(
      res,
      this.#upstream.authorizationUrl({
        redirectUri: this.callbackUrl,
        state: upstreamState,
        codeChallenge: sha256(verifier),
        nonce: random(),
        ...(pending.loginHint ? { loginHint: pending.loginHint } : {}),
      }),
    );
  }

  async callback(_req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const q = url.searchParams;
    const trip = await this.#store.take<UpstreamRoundTrip>(`up:${q.get('state') ?? ''}`);
    if (!trip) {
      html(
        res,
        400,
        errorPage(
          'Sign-in expired',
          'this sign-in is unknown or was already completed; start again from your client',
        ),
      );
      return;
    }
    const pending = trip.transaction;
    const back = (params: Record<string, string | undefined>) =>
      redirect(res, this.#back(pending.redirectUri, { ...params, state: pending.state }));
    if (q.get('error')) {
      return back({
        error: 'access_denied',
        error_description: `the sign-in at Entra ID failed (${(q.get('error') ?? '').slice(0, 60)})`,
      });
    }
    let tokens: UpstreamTokens;
    try {
      tokens = await this.#upstream.redeemCode(q.get('code') ?? '', this.callbackUrl, trip.verifier);
    } catch (error) {
      if (!(error instanceof UpstreamError)) throw error;
      this.#logger.warn(`OAuth proxy: the code exchange at Entra ID failed: ${error.message}`);
      return back({ error: 'server_error', error_description: error.message });
    }
    let claims: JWTPayload;
    try {
      claims = decodeJwt(tokens.accessToken);
    } catch {
      return back({
        error: 'server_error',
        error_description: 'Entra ID returned an access token that is not a JWT',
      });
    }
    const grantId = random();
    const grant: Grant = {
      clientId: pending.clientId,
      scopes: pending.scopes,
      user: {
        oid: String(claims.oid ?? claims.sub ?? ''),
        tid: String(claims.tid ?? ''),
        upn:
          typeof claims.upn === 'string'
            ? claims.upn
            : typeof claims.preferred_username === 'string'
              ? claims.preferred_username
              : undefined,
        name: typeof claims.name === 'string' ? claims.name : undefined,
      },
      upstream: tokens,
    };
    await this.#store.set(`grant:${grantId}`, grant, this.#refreshLifetimeMs);
    await this.#store.set(
      `consent:${grant.user.oid}:${pending.clientId}`,
      { at: Date.now(), scopes: pending.scopes },
      this.#refreshLifetimeMs,
    );
    const code = random();
    await this.#store.set(
      `code:${code}`,
      {
        clientId: pending.clientId,
        redirectUri: pending.redirectUri,
        codeChallenge: pending.codeChallenge,
        grantId,
      } satisfies IssuedCode,
      CODE_MS,
    );
    back({ code });
  }

  // ---- tokens --------------------------------------------------------------------------------

  async token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = await readForm(req);
    // counted before the client is looked up: an unknown or metadata-document client costs too
    this.#tokenRequests.check(clientAddress(req), 'too many token requests');
    const client = await this.#authenticateClient(req, form);
    const grantType = form.get('grant_type');
    if (grantType === 'authorization_code') {
      const issued = await this.#store.take<IssuedCode>(`code:${form.get('code') ?? ''}`);
      if (!issued || issued.clientId !== client.clientId)
        throw new OAuthError(400, 'invalid_grant', 'the code is invalid, expired or already used');
      if ((form.get('redirect_uri') ?? issued.redirectUri) !== issued.redirectUri) {
        throw new OAuthError(400, 'invalid_grant', 'redirect_uri does not match the authorization request');
      }
      if (sha256(form.get('code_verifier') ?? '') !== issued.codeChallenge) {
        throw new OAuthError(400, 'invalid_grant', 'the code_verifier does not match the code_challenge');
      }
      this.#checkResource(form);
      const grant = await this.#store.get<Grant>(`grant:${issued.grantId}`);
      if (!grant) throw new OAuthError(400, 'invalid_grant', 'the sign-in behind this code has ended');
      json(res, 200, await this.#issue(issued.grantId, grant), { 'cache-control': 'no-store' });
      return;
    }
    if (grantType === 'refresh_token') {
      const token = form.get('refresh_token') ?? '';
      const record = await this.#store.take<RefreshRecord>(`rt:${token}`);
      if (!record) {
        // a rotated token presented again: someone holds a copy; end the whole sign-in
        const reused = await this.#store.get<RefreshRecord>(`rtused:${token}`);
        if (reused) {
          await this.#store.delete(`grant:${reused.grantId}`);
          this.#logger.warn('OAuth proxy: a rotated refresh token was used again; its sign-in was revoked');
        }
        throw new OAuthError(400, 'invalid_grant', 'the refresh token is invalid, expired or revoked');
      }
      await this.#store.set(`rtused:${token}`, record, this.#refreshLifetimeMs);
      if (record.clientId !== client.clientId) {
        await this.#store.delete(`grant:${record.grantId}`);
        throw new OAuthError(400, 'invalid_grant', 'the refresh token was issued to another client');
      }
      this.#checkResource(form);
      const grant = await this.#store.get<Grant>(`grant:${record.grantId}`);
      if (!grant)
        throw new OAuthError(400, 'invalid_grant', 'the sign-in behind this refresh token has ended');
      json(res, 200, await this.#issue(record.grantId, grant), { 'cache-control': 'no-store' });
      return;
    }
    throw new OAuthError(
      400,
      'unsupported_grant_type',
      'grant_type must be authorization_code or refresh_token',
    );
  }

  /** RFC 7009: the refresh token (or the access token) and with it the whole sign-in end; always 200. */
  async revoke(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = await readForm(req);
    const client = await this.#authenticateClient(req, form);
    const token = form.get('token') ?? '';
    // only the client a token was issued to may revoke it (RFC 7009 §2.1); another client's
    // request changes nothing
    const refresh = await this.#store.get<RefreshRecord>(`rt:${token}`);
    if (refresh) {
      if (refresh.clientId === client.clientId) {
        await this.#store.delete(`rt:${token}`);
        await this.#store.delete(`grant:${refresh.grantId}`);
      }
    } else if (token.split('.').length === 3) {
      try {
        const { payload } = await jwtVerify(token, this.#publicKey, {
          issuer: this.issuer,
          algorithms: ['ES256'],
        });
        if (payload.azp === client.clientId && typeof payload.grant === 'string')
          await this.#store.delete(`grant:${payload.grant}`);
      } catch {
        // not one of ours, or expired: nothing to revoke
      }
    }
    res.writeHead(200, { 'cache-control': 'no-store', 'content-length': 0 }).end();
  }

  async #issue(grantId: string, grant: Grant): Promise<Record<string, unknown>> {
    const now = Math.floor(Date.now() / 1000);
    const { keys } = await this.jwks();
    const scope = grant.scopes.join(' ');
    const accessToken = await new SignJWT({
      oid: grant.user.oid,
      tid: grant.user.tid,
      ...(grant.user.upn ? { preferred_username: grant.user.upn } : {}),
      ...(grant.user.name ? { name: grant.user.name } : {}),
      scp: scope,
      azp: grant.clientId,
      grant: grantId,
      idtyp: 'user',
    })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: keys[0]!.kid! })
      .setIssuer(this.issuer)
      .setAudience(this.resource)
      .setSubject(grant.user.oid)
      .setJti(random())
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + this.#accessLifetime)
      .sign(this.#privateKey);
    const refreshToken = random();
    await this.#store.set(
      `rt:${refreshToken}`,
      { grantId, clientId: grant.clientId } satisfies RefreshRecord,
      this.#refreshLifetimeMs,
    );
    return {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: this.#accessLifetime,
      refresh_token: refreshToken,
      scope: grant.scopes.map((s) => this.#qualify(s)).join(' '),
    };
  }

  async #authenticateClient(req: IncomingMessage, form: URLSearchParams): Promise<ClientRecord> {
    let clientId = form.get('client_id') ?? '';
    let secret = form.get('client_secret') ?? undefined;
    const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '');
    if (basic) {
      // RFC 6749 §2.3.1: both parts form-encoded; a malformed one is a failed authentication
      const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
      const at = decoded.indexOf(':');
      try {
        clientId = decodeURIComponent((at < 0 ? decoded : decoded.slice(0, at)).replaceAll('+', ' '));
        secret = at < 0 ? undefined : decodeURIComponent(decoded.slice(at + 1).replaceAll('+', ' '));
      } catch {
        throw new OAuthError(401, 'invalid_client', 'the Basic credentials are not form-encoded', {
          'www-authenticate': 'Basic realm="oauth"',
        });
      }
    }
    let client: ClientRecord | undefined;
    try {
      client = await this.client(clientId, clientAddress(req));
    } catch (error) {
      if (error instanceof ClientMetadataError) throw new OAuthError(401, 'invalid_client', error.message);
      throw error;
    }
    if (!client) throw new OAuthError(401, 'invalid_client', 'unknown client');
    if (client.secretHash && (!secret || !safeEqual(sha256(secret), client.secretHash))) {
      throw new OAuthError(401, 'invalid_client', 'client authentication failed', {
        'www-authenticate': 'Basic realm="oauth"',
      });
    }
    return client;
  }

  #checkResource(form: URLSearchParams): void {
    const resource = form.get('resource');
    if (resource !== null && resource !== this.resource && resource !== this.resource.replace(/\/$/, '')) {
      throw new OAuthError(400, 'invalid_target', `resource must be ${this.resource}`);
    }
  }

  /** The scopes asked for, as the façade's short names; unknown ones are an error, none means all. */
  #scopesFrom(scope: string | null): string[] {
    const prefix = this.resource.replace(/\/$/, '');
    const asked = (scope ?? '')
      .split(' ')
      .filter((s) => s !== '' && !['openid', 'profile', 'offline_access'].includes(s));
    if (asked.length === 0) return [...this.scopes];
    const short = asked.map((s) => (s.startsWith(`${prefix}/`) ? s.slice(prefix.length + 1) : s));
    const unknown = short.filter((s) => !this.scopes.includes(s));
    if (unknown.length > 0)
      throw new Error(
        `unknown scope ${unknown.join(' ').slice(0, 100)}; this server offers ${this.scopes.map((s) => this.#qualify(s)).join(' ')}`,
      );
    return [...new Set(short)];
  }

  #qualify(scope: string): string {
    return `${this.resource.replace(/\/$/, '')}/${scope}`;
  }

  #back(redirectUri: string, params: Record<string, string | undefined>): string {
    const url = new URL(redirectUri);
    for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
    url.searchParams.set('iss', this.issuer);
    return url.href;
  }

  // ---- the kit's side: inbound tokens and the On-Behalf-Of assertion -------------------------

  /** Validates a façade access token: signature (this façade's key), issuer, audience, lifetime. */
  async verifyAccessToken(token: string): Promise<RequestAuthContext> {
    // the signature is checked once per token (a bounded cache keyed by its SHA-256, never the
    // token itself); the sign-in is looked up on every request
    const key = sha256(token);
    let payload = this.#verified.get(key);
    if (payload && (payload.exp as number) * 1000 + 60_000 <= Date.now()) {
      this.#verified.delete(key);
      payload = undefined;
    }
    if (!payload) {
      ({ payload } = await jwtVerify(token, this.#publicKey, {
        issuer: this.issuer,
        audience: this.resource,
        algorithms: ['ES256'],
        typ: 'at+jwt',
        clockTolerance: 60,
        requiredClaims: ['exp', 'oid', 'tid', 'grant'],
      }));
      if (this.#verified.size >= 10_000) this.#verified.delete(this.#verified.keys().next().value!);
      this.#verified.set(key, payload);
    }
    // a revoked sign-in (revocation, or a refresh token replayed) ends its access tokens at once,
    // on every replica: the grant is looked up on each request
    if (!(await this.#store.get<Grant>(`grant:${String(payload.grant)}`))) {
      throw new RevokedSignIn();
    }
    return createRequestAuthContext(token, payload as Record<string, unknown>);
  }

  /**
   * Inbound authentication that accepts façade tokens and, when `entra` is given, Entra ID tokens
   * too (configuration decides which issuers are accepted).
   */
  inbound(entra?: IInboundAuthSetup): IInboundAuthSetup {
    return {
      type: 'OAuthProxy',
      authenticate: async (request: InboundRequest): Promise<InboundOutcome> => {
        const header = request.headers.authorization;
        const value = Array.isArray(header) ? undefined : header;
        const match = value ? /^Bearer ([A-Za-z0-9._~+/=-]+)$/i.exec(value.trim()) : null;
        let issuer: unknown;
        try {
          issuer = match ? decodeJwt(match[1]!).iss : undefined;
        } catch {
          issuer = undefined;
        }
        if (match && issuer === this.issuer) {
          try {
            return { kind: 'authenticated', context: await this.verifyAccessToken(match[1]!) };
          } catch (error) {
            const code = String((error as { code?: unknown }).code ?? '');
            if (error instanceof RevokedSignIn || code.startsWith('ERR_J')) {
              return {
                kind: 'challenge',
                status: 401,
                error: 'invalid_token',
                errorDescription:
                  error instanceof RevokedSignIn
                    ? 'the sign-in was revoked'
                    : 'the token is invalid or expired',
              };
            }
            // the store cannot be read (Redis down): not the caller's fault
            this.#logger.warn(`OAuth proxy: token state unavailable: ${safeErrorMessage(error)}`);
            return {
              kind: 'unavailable',
              retryAfterSeconds: 5,
              errorDescription: 'sign-in state is unavailable; try again',
            };
          }
        }
        if (entra && match) return entra.authenticate(request);
        if (!value) return { kind: 'challenge', status: 401 };
        return {
          kind: 'challenge',
          status: 401,
          error: 'invalid_token',
          errorDescription: 'only tokens from this server’s authorization server are accepted',
        };
      },
      ...(entra?.ready ? { ready: () => entra.ready!() } : {}),
      close: async () => {
        await entra?.close?.();
      },
    };
  }

  /**
   * The On-Behalf-Of assertion for a caller: for a façade token, the user's stored upstream Entra
   * token (refreshed upstream when it is about to expire); undefined for any other caller.
   */
  assertionFor = async (caller: RequestAuthContext): Promise<string | undefined> => {
    if (caller.claims.iss !== this.issuer) return undefined;
    const grantId = String(caller.claims.grant ?? '');
    const running = this.#refreshing.get(grantId);
    if (running) return running;
    const grant = await this.#store.get<Grant>(`grant:${grantId}`);
    if (!grant) {
      throw new OutboundCredentialError(
        'caller_token_rejected',
        'the sign-in behind this token was revoked or has ended; sign in again',
      );
    }
    if (grant.upstream.expiresAtMs - UPSTREAM_REFRESH_MARGIN_MS > Date.now())
      return grant.upstream.accessToken;
    const refreshToken = grant.upstream.refreshToken;
    if (!refreshToken) {
      throw new OutboundCredentialError(
        'caller_token_rejected',
        'the upstream sign-in has expired; sign in again',
      );
    }
    const refreshing = this.#upstream.refresh(refreshToken).then(
      async (tokens) => {
        grant.upstream = { ...tokens, refreshToken: tokens.refreshToken ?? refreshToken };
        await this.#store.set(`grant:${grantId}`, grant, this.#refreshLifetimeMs);
        return tokens.accessToken;
      },
      (error: unknown) => {
        throw new OutboundCredentialError(
          'caller_token_rejected',
          `the upstream sign-in could not be renewed (${error instanceof UpstreamError ? error.message : 'error'}); sign in again`,
          { cause: error },
        );
      },
    );
    this.#refreshing.set(grantId, refreshing);
    try {
      return await refreshing;
    } finally {
      this.#refreshing.delete(grantId);
    }
  };
}

type Route = (proxy: OAuthProxy, req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>;
const ROUTES: Record<string, Route> = {
  'GET /.well-known/oauth-authorization-server': async (p, _req, res) =>
    json(res, 200, p.metadata(), {
      'cache-control': 'public, max-age=3600',
      'access-control-allow-origin': '*',
    }),
  'GET /oauth/jwks': async (p, _req, res) =>
    json(res, 200, await p.jwks(), {
      'cache-control': 'public, max-age=3600',
      'access-control-allow-origin': '*',
    }),
  'POST /oauth/register': (p, req, res) => p.register(req, res),
  'GET /oauth/authorize': (p, req, res, url) => p.authorize(req, res, url),
  'POST /oauth/consent': (p, req, res) => p.consent(req, res),
  'GET /oauth/callback': (p, req, res, url) => p.callback(req, res, url),
  'POST /oauth/token': (p, req, res) => p.token(req, res),
  'POST /oauth/revoke': (p, req, res) => p.revoke(req, res),
};

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function html(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(body),
    'referrer-policy': 'no-referrer',
    ...headers,
  });
  res.end(body);
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(302, { location, 'cache-control': 'no-store', 'content-length': 0 });
  res.end();
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_FORM_BYTES)
      throw new OAuthError(413, 'invalid_request', `the request body is larger than ${MAX_FORM_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  if (!/^application\/x-www-form-urlencoded\b/i.test(req.headers['content-type'] ?? '')) {
    throw new OAuthError(400, 'invalid_request', 'the body must be application/x-www-form-urlencoded');
  }
  return new URLSearchParams(await readBody(req));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
    throw new OAuthError(400, 'invalid_client_metadata', 'the body must be application/json');
  }
  try {
    return JSON.parse(await readBody(req));
  } catch (error) {
    if (error instanceof OAuthError) throw error;
    throw new OAuthError(400, 'invalid_client_metadata', 'the body is not JSON');
  }
}

function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0) out[part.slice(0, at).trim()] = part.slice(at + 1).trim();
  }
  return out;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function clientAddress(req: IncomingMessage): string {
  return req.socket.remoteAddress ?? 'unknown';
}
