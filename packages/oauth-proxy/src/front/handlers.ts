// The Entra front's endpoints: RFC 8414 metadata, an authorize redirect and a token relay to Entra
// ID with its quirks fixed, and a registration answer naming the server's pre-registered public
// client. Nothing is stored; PKCE, `state` and redirect URIs pass through untouched.
import { aadstsFix, type Logger } from '@mcp-auth-kit/auth-core';
import { ClientMetadataError, OAuthError } from '../errors.js';
import { codeOrRefreshGrant, readBounded, readForm, readJson } from '../http/body.js';
import { json, redirect } from '../http/responses.js';
import type { Limits } from '../policies/Limits.js';
import { redirectUriAllowed } from './loopbackRule.js';
import { fixResource, fixScope, type ScopeRules } from './scopes.js';

export interface FrontContext extends ScopeRules {
  readonly issuer: string;
  readonly authorizeUrl: string;
  readonly tokenUrl: string;
  readonly publicClient: { readonly clientId: string; readonly redirectUris: readonly string[] } | undefined;
  /** Entra ID's Client ID Metadata Documents (preview) are on in the tenant. */
  readonly clientIdMetadataDocuments: boolean;
  /** `{Application ID URI}/{scope}` for each of the API's scopes: what a client that asks for none gets at authorize. */
  readonly apiScopes: readonly string[];
  /** `{Application ID URI}/.default`: what a token request that names no API scope gets (what was granted). */
  readonly grantedScope: string;
  readonly limits: Limits;
  readonly logger: Logger;
  readonly timeoutMs: number;
}

const MAX_ANSWER_BYTES = 64 * 1024;

export function frontMetadata(ctx: FrontContext): Record<string, unknown> {
  return {
    issuer: ctx.issuer,
    authorization_endpoint: `${ctx.issuer}/oauth/authorize`,
    token_endpoint: `${ctx.issuer}/oauth/token`,
    ...(ctx.publicClient ? { registration_endpoint: `${ctx.issuer}/oauth/register` } : {}),
    scopes_supported: [...ctx.apiScopes, 'openid', 'profile', 'offline_access'],
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['none', 'client_secret_post'],
    ...(ctx.clientIdMetadataDocuments ? { client_id_metadata_document_supported: true } : {}),
    // Entra ID answers the authorization request itself and sends no `iss` (RFC 9207) there, so
    // this metadata does not claim it: a client that checks `iss` finds none and goes on
  };
}

/** `GET /oauth/authorize`: to Entra ID's authorize endpoint with scope and resource fixed; everything else untouched. */
export function frontAuthorize(ctx: FrontContext, url: URL, address: string): Response {
  ctx.limits.authorization(address);
  const target = new URL(ctx.authorizeUrl);
  for (const [k, v] of url.searchParams) target.searchParams.append(k, v);
  const q = target.searchParams;
  q.set('scope', fixScope(ctx, q.get('scope'), ctx.apiScopes));
  const resource = fixResource(ctx, q.get('resource'));
  if (resource !== null) q.set('resource', resource);
  return redirect(target.href);
}

/** `POST /oauth/token`: the form to Entra ID's token endpoint with scope and resource fixed; Entra's answer unchanged. */
export async function frontToken(ctx: FrontContext, request: Request, address: string): Promise<Response> {
  const form = await readForm(request);
  ctx.limits.token(address);
  const grant = codeOrRefreshGrant(form);
  // what the client was granted, never more: `.default` is the permissions consented to it
  form.set('scope', fixScope(ctx, form.get('scope'), [ctx.grantedScope]));
  const resource = fixResource(ctx, form.get('resource'));
  if (resource !== null) form.set('resource', resource);
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  const basic = request.headers.get('authorization');
  if (basic && /^Basic /i.test(basic)) headers.authorization = basic;
  let answer: Response;
  try {
    answer = await fetch(ctx.tokenUrl, {
      method: 'POST',
      body: form,
      headers,
      redirect: 'manual',
      signal: AbortSignal.timeout(ctx.timeoutMs),
    });
  } catch (error) {
    ctx.logger.warn(`Entra front: Entra ID could not be reached (${(error as Error).name})`);
    throw new OAuthError(503, 'temporarily_unavailable', 'Entra ID could not be reached; try again', {
      'retry-after': '5',
    });
  }
  const body = await readBounded(answer.body, MAX_ANSWER_BYTES);
  if (!body || !(answer.headers.get('content-type') ?? '').includes('json')) {
    ctx.logger.warn(`Entra front: Entra ID answered HTTP ${answer.status} with an unexpected body`);
    throw new OAuthError(503, 'temporarily_unavailable', 'Entra ID answered unexpectedly; try again', {
      'retry-after': '5',
    });
  }
  if (!answer.ok) logEntraError(ctx, grant, body);
  return new Response(body, {
    status: answer.status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache' },
  });
}

/** Entra's error, by its AADSTS code and what fixes it; never the code, verifier or token of the request. */
function logEntraError(ctx: FrontContext, grant: string, body: Buffer): void {
  let parsed: { error?: unknown; error_codes?: unknown };
  try {
    parsed = JSON.parse(body.toString('utf8')) as typeof parsed;
  } catch {
    parsed = {};
  }
  const code = Array.isArray(parsed.error_codes) ? String(parsed.error_codes[0]) : undefined;
  const fix = aadstsFix(code);
  ctx.logger.warn(
    `Entra front: Entra ID refused a ${grant} request (${String(parsed.error ?? 'error').slice(0, 60)}${code ? `, AADSTS${code}` : ''}${fix ? `: ${fix}` : ''})`,
  );
}

/**
 * `POST /oauth/register`: clients that register themselves with only the URL get the server's
 * pre-registered public client, when every redirect URI they ask for is one Entra ID would accept
 * for it (registered exactly, or a loopback URI under the any-port rule).
 */
export async function frontRegister(ctx: FrontContext, request: Request, address: string): Promise<Response> {
  ctx.limits.registration(address);
  const client = ctx.publicClient;
  if (!client) throw new OAuthError(404, 'invalid_request', 'not found');
  const body = (await readJson(request)) as Record<string, unknown> | null;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ClientMetadataError('invalid_client_metadata', 'client metadata must be a JSON object');
  }
  const uris = body.redirect_uris;
  if (
    !Array.isArray(uris) ||
    uris.length === 0 ||
    uris.length > 10 ||
    uris.some((u) => typeof u !== 'string')
  ) {
    throw new ClientMetadataError('invalid_redirect_uri', 'redirect_uris must list 1 to 10 URIs');
  }
  const refused = (uris as string[]).find(
    (u) => u.length > 2000 || !redirectUriAllowed(client.redirectUris, u),
  );
  if (refused !== undefined) {
    throw new ClientMetadataError(
      'invalid_redirect_uri',
      `redirect URI ${refused.slice(0, 100)} is not registered for this server's public client; it accepts ${client.redirectUris.join(', ')} (any port on loopback)`,
    );
  }
  const name = typeof body.client_name === 'string' ? body.client_name.slice(0, 200) : undefined;
  return json(201, {
    client_id: client.clientId,
    client_id_issued_at: Math.floor(Date.now() / 1000),
    ...(name ? { client_name: name } : {}),
    redirect_uris: uris,
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
  });
}
