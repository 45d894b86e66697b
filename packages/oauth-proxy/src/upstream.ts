// The façade's own client of Entra ID: the server's app registration with its confidential
// credential (any clientCredential kind: a secret, a certificate's signed assertion, a managed
// identity's federated assertion), the authorization code flow with PKCE, and refresh.
import { createPrivateKey, randomUUID } from 'node:crypto';
import { aadstsFix } from '@mcp-auth-kit/auth-core';
import type { MsalAppCredential } from '@mcp-auth-kit/outbound-credentials';
import { SignJWT } from 'jose';
import { UpstreamError } from './errors.js';
import { readBounded } from './http/body.js';

export interface UpstreamOptions {
  /** `azureAd.instance`, e.g. `https://login.microsoftonline.com/`. */
  readonly instance: string;
  readonly tenantId: string;
  /** The server's app registration (the API the MCP server is). */
  readonly clientId: string;
  /** What the façade asks Entra ID for: the API's own scopes (`{Application ID URI}/mcp.tools`). */
  readonly scopes: readonly string[];
  readonly credential: MsalAppCredential | (() => Promise<MsalAppCredential>);
  readonly timeoutMs?: number;
}

export interface UpstreamTokens {
  readonly accessToken: string;
  readonly refreshToken: string | undefined;
  /** Epoch ms. */
  readonly expiresAtMs: number;
}

export class Upstream {
  readonly authorizeUrl: string;
  readonly tokenUrl: string;
  constructor(private readonly options: UpstreamOptions) {
    const base = `${options.instance.replace(/\/?$/, '/')}${options.tenantId}/oauth2/v2.0`;
    this.authorizeUrl = `${base}/authorize`;
    this.tokenUrl = `${base}/token`;
  }

  /** The scopes of every upstream request: the API's, plus a refresh token. */
  get scope(): string {
    return [...this.options.scopes, 'offline_access'].join(' ');
  }

  authorizationUrl(params: {
    redirectUri: string;
    state: string;
    codeChallenge: string;
    nonce: string;
    loginHint?: string;
  }): string {
    const url = new URL(this.authorizeUrl);
    url.searchParams.set('client_id', this.options.clientId);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('redirect_uri', params.redirectUri);
    url.searchParams.set('scope', this.scope);
    url.searchParams.set('state', params.state);
    url.searchParams.set('nonce', params.nonce);
    url.searchParams.set('code_challenge', params.codeChallenge);
    url.searchParams.set('code_challenge_method', 'S256');
    url.searchParams.set('response_mode', 'query');
    if (params.loginHint) url.searchParams.set('login_hint', params.loginHint);
    return url.href;
  }

  redeemCode(code: string, redirectUri: string, codeVerifier: string): Promise<UpstreamTokens> {
    return this.#token({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      code_verifier: codeVerifier,
      scope: this.scope,
    });
  }

  /** A new upstream access token; Entra ID needs `scope` on refresh (AADSTS90009). */
  refresh(refreshToken: string): Promise<UpstreamTokens> {
    return this.#token({ grant_type: 'refresh_token', refresh_token: refreshToken, scope: this.scope });
  }

  async #clientAuth(): Promise<Record<string, string>> {
    const credential =
      typeof this.options.credential === 'function'
        ? await this.options.credential()
        : this.options.credential;
    if ('clientSecret' in credential) return { client_secret: credential.clientSecret };
    const assertionType = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
    if ('clientAssertion' in credential) {
      return { client_assertion_type: assertionType, client_assertion: await credential.clientAssertion() };
    }
    // a certificate: a signed client assertion naming the certificate by its SHA-256 thumbprint
    const now = Math.floor(Date.now() / 1000);
    const assertion = await new SignJWT({})
      .setProtectedHeader({
        alg: 'PS256',
        typ: 'JWT',
        'x5t#S256': Buffer.from(credential.clientCertificate.thumbprintSha256, 'hex').toString('base64url'),
      })
      .setIssuer(this.options.clientId)
      .setSubject(this.options.clientId)
      .setAudience(this.tokenUrl)
      .setJti(randomUUID())
      .setNotBefore(now)
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(createPrivateKey(credential.clientCertificate.privateKey));
    return { client_assertion_type: assertionType, client_assertion: assertion };
  }

  async #token(params: Record<string, string>): Promise<UpstreamTokens> {
    const body = new URLSearchParams({
      client_id: this.options.clientId,
      ...params,
      ...(await this.#clientAuth()),
    });
    let response: Response;
    try {
      response = await fetch(this.tokenUrl, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
        redirect: 'manual',
      });
    } catch (cause) {
      throw new UpstreamError(
        'upstream_unreachable',
        `Entra ID could not be reached (${(cause as Error).name})`,
        'temporarily_unavailable',
        undefined,
        { cause },
      );
    }
    // Entra's answer, bounded like every body the façade reads
    const text = (await readBounded(response.body, 64 * 1024))?.toString('utf8') ?? '';
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      json = {};
    }
    if (!response.ok || typeof json.access_token !== 'string') {
      const codes = Array.isArray(json.error_codes) ? json.error_codes : [];
      const aadsts = codes.length > 0 ? String(codes[0]) : undefined;
      const fix = aadstsFix(aadsts);
      throw new UpstreamError(
        'upstream_refused',
        `Entra ID refused the request (${String(json.error ?? response.status).slice(0, 60)}${aadsts ? `, AADSTS${aadsts}` : ''}${fix ? `: ${fix}` : ''})`,
        typeof json.error === 'string' ? json.error : 'server_error',
        aadsts,
      );
    }
    return {
      accessToken: json.access_token,
      refreshToken: typeof json.refresh_token === 'string' ? json.refresh_token : undefined,
      expiresAtMs: Date.now() + Number(json.expires_in ?? 3600) * 1000,
    };
  }
}
