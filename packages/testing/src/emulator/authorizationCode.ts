import { createHash, randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { entraError, HttpError } from '../http.js';
import type { EmulatedApp, EmulatedUser } from '../types.js';
import { AGENT_USER_TOKEN_CLAIMS, type AgentIdentity, CimdRefusal, isDocumentClientId } from './cimd.js';
import { authenticateClient } from './clientAuth.js';
import type { AuthorizationState, EmulatorContext } from './internals.js';
import { page, signInPage } from './pages.js';

export type { AuthorizationState, IssuedCode, IssuedRefreshToken } from './internals.js';

import { OIDC_SCOPES } from './internals.js';

const CODE_LIFETIME_MS = 10 * 60_000;
const REFRESH_LIFETIME_MS = 24 * 3_600_000;
const MAX_STORED = 10_000;
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

function remember<T>(map: Map<string, T>, key: string, value: T): void {
  if (map.size >= MAX_STORED) map.delete(map.keys().next().value!);
  map.set(key, value);
}

/**
 * Entra's redirect URI rule: an exact match with a registered URI, except that for a public client
 * a registered `http://localhost` or `http://127.0.0.1` URI matches any port (RFC 8252 loopback).
 */
export function redirectUriMatches(app: EmulatedApp, redirectUri: string): boolean {
  if (app.redirectUris.includes(redirectUri)) return true;
  if (!app.publicClient) return false;
  let asked: URL;
  try {
    asked = new URL(redirectUri);
  } catch {
    return false;
  }
  if (asked.protocol !== 'http:' || !LOOPBACK_HOSTS.has(asked.hostname)) return false;
  return app.redirectUris.some((registered) => {
    try {
      const r = new URL(registered);
      return r.protocol === 'http:' && r.hostname === asked.hostname && r.pathname === asked.pathname;
    } catch {
      return false;
    }
  });
}

/**
 * The app a set of requested scopes belongs to: `{identifierUri}/{scope}` of an app registration
 * that exposes that scope (or `.default`). OIDC scopes belong to no app.
 */
function resolveScopes(
  ctx: EmulatorContext,
  scopes: readonly string[],
): { app: EmulatedApp | undefined; names: string[] } {
  let app: EmulatedApp | undefined;
  const names: string[] = [];
  for (const scope of scopes) {
    if (OIDC_SCOPES.has(scope)) continue;
    const cut = scope.lastIndexOf('/');
    const uri = cut > 0 ? scope.slice(0, cut) : '';
    const name = scope.slice(cut + 1);
    const owner = [...ctx.apps.values()].find((a) => a.identifierUris.includes(uri) || a.clientId === uri);
    if (!owner || (name !== '.default' && !owner.exposedScopes.includes(name))) {
      throw entraError(
        400,
        'invalid_scope',
        70011,
        `The provided value for the input parameter 'scope' isn't valid. The scope ${scope} isn't valid.`,
      );
    }
    if (app && app !== owner) {
      throw entraError(
        400,
        'invalid_request',
        28000,
        'Provided value for the input parameter scope is not valid because it contains more than one resource.',
      );
    }
    app = owner;
    names.push(...(name === '.default' ? owner.exposedScopes : [name]));
  }
  return { app, names };
}

/** RFC 8707 `resource`, as Entra checks it: it must be an identifier URI of the scopes' app. */
function checkResource(resource: string | null, app: EmulatedApp | undefined): void {
  if (resource === null || resource === '') return;
  if (app && (app.identifierUris.includes(resource) || app.clientId === resource)) return;
  throw entraError(
    400,
    'invalid_target',
    9010010,
    `The resource parameter provided in the request doesn't match with the requested scopes.`,
  );
}

/**
 * `GET /{tenant}/oauth2/v2.0/authorize`: the authorization code flow with PKCE (S256). Problems
 * with the client or its redirect URI are answered on the page (never sent to an unverified
 * redirect URI); every other problem goes back to the client as `error` parameters. Without a
 * `login_hint` naming an emulated user, a browser gets a sign-in page listing them.
 */
export async function authorize(
  ctx: EmulatorContext,
  state: AuthorizationState,
  _tenant: string,
  url: URL,
  res: ServerResponse,
): Promise<void> {
  const q = url.searchParams;
  const clientId = q.get('client_id') ?? '';
  let app: EmulatedApp | undefined;
  let agent: AgentIdentity | undefined;
  if (isDocumentClientId(clientId)) {
    try {
      ({ app, agent } = await ctx.cimd.resolve(clientId));
    } catch (error) {
      if (!(error instanceof CimdRefusal)) throw error;
      page(res, 400, error.message, clientId);
      return;
    }
  } else app = ctx.apps.get(clientId.toLowerCase());
  if (!app) {
    page(res, 400, 'AADSTS700016: Application not found in the directory', clientId);
    return;
  }
  const redirectUri = q.get('redirect_uri') ?? '';
  // a metadata document's redirect URIs match exactly (no loopback any-port rule: strict reading)
  if (agent ? !app.redirectUris.includes(redirectUri) : !redirectUriMatches(app, redirectUri)) {
    page(
      res,
      400,
      'AADSTS50011: The redirect URI specified in the request does not match the redirect URIs configured for the application',
      redirectUri,
    );
    return;
  }
  // Entra ID's authorization response carries `code` and `state` (or `error`, `error_description`,
  // `state`) and no RFC 9207 `iss`; its metadata does not claim `authorization_response_iss_parameter_supported`
  const back = (params: Record<string, string | undefined>) => {
    const target = new URL(redirectUri);
    for (const [k, v] of Object.entries({ ...params, state: q.get('state') ?? undefined })) {
      if (v !== undefined) target.searchParams.set(k, v);
    }
    res.writeHead(302, { location: target.href, 'cache-control': 'no-store' });
    res.end();
  };
  const fail = (error: HttpError) => {
    const body = error.body as { error: string; error_description: string };
    back({ error: body.error, error_description: body.error_description });
  };
  try {
    if (q.get('response_type') !== 'code') {
      throw entraError(
        400,
        'unsupported_response_type',
        700054,
        "The response_type must be 'code' for this emulated tenant.",
      );
    }
    const scope = q.get('scope') ?? '';
    if (scope.trim() === '') {
      throw entraError(
        400,
        'invalid_request',
        900144,
        "The request body must contain the following parameter: 'scope'.",
      );
    }
    const challenge = q.get('code_challenge');
    if (!challenge || (q.get('code_challenge_method') ?? 'plain') !== 'S256') {
      throw entraError(
        400,
        'invalid_request',
        9002325,
        'Proof Key for Code Exchange with code_challenge_method S256 is required.',
      );
    }
    const scopes = scope.split(' ').filter((s) => s !== '');
    const { app: resourceApp, names: asked } = resolveScopes(ctx, scopes);
    checkResource(q.get('resource'), resourceApp);
    const hint = (q.get('login_hint') ?? '').toLowerCase();
    const user = [...ctx.users.values()].find((u) => u.userPrincipalName.toLowerCase() === hint);
    if (!user) {
      if (q.get('prompt') === 'none') {
        throw entraError(
          400,
          'login_required',
          50058,
          'A silent sign-in request was sent but no user is signed in.',
        );
      }
      signInPage(ctx, res, url);
      return;
    }
    // an agent identity needs consent: the user's own where the tenant allows it, else an administrator's
    if (agent && resourceApp && !ctx.cimd.consent(agent, user, resourceApp, asked)) {
      if (q.get('prompt') === 'none') {
        throw entraError(
          400,
          'consent_required',
          65001,
          `The user or administrator has not consented to use the application with ID '${agent.appId}'.`,
        );
      }
      page(
        res,
        403,
        `AADSTS90094: Need admin approval. ${agent.displayName} needs permission to access resources in your organization that only an admin can grant. Ask an admin to grant permission to this app before you can use it.`,
        agent.documentUrl,
      );
      return;
    }
    // A `claims` request (a claims challenge passed on) is satisfied at this sign-in: a user whom
    // Conditional Access requires multi-factor authentication for completes it here
    const mfa = ctx.mfaRequired.has(user.objectId) && requestsAccessTokenClaims(q.get('claims'));
    const code = randomBytes(32).toString('base64url');
    remember(state.codes, code, {
      mfa,
      clientId: app.clientId,
      redirectUri,
      codeChallenge: challenge,
      scopes,
      resourceApp,
      user,
      nonce: q.get('nonce') ?? undefined,
      expiresAtMs: Date.now() + CODE_LIFETIME_MS,
      redeemed: false,
    });
    back({ code });
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    fail(error);
  }
}

/** The token endpoint's `authorization_code` and `refresh_token` grants. */
export async function redeem(
  ctx: EmulatorContext,
  state: AuthorizationState,
  tenant: string,
  form: URLSearchParams,
  tokenUrl: string,
): Promise<Record<string, unknown>> {
  const grant = form.get('grant_type');
  const asked = form.get('client_id') ?? '';
  // a metadata-document client is its agent identity (created when it signed in): a public client
  const agent = isDocumentClientId(asked) && ctx.cimd.enabled ? ctx.cimd.agent(asked) : undefined;
  const clientId = agent ? agent.appId : asked.toLowerCase();
  const app: Pick<EmulatedApp, 'clientId' | 'publicClient'> | undefined = agent
    ? { clientId: agent.appId, publicClient: true }
    : ctx.apps.get(clientId);
  if (!app)
    throw entraError(
      400,
      'unauthorized_client',
      700016,
      `Application with identifier '${clientId}' was not found in the directory.`,
    );
  // a confidential client proves itself; a public client has nothing to prove
  if (!app.publicClient) await authenticateClient(ctx, form, tokenUrl);
  const scope = form.get('scope') ?? '';
  if (scope.trim() === '') {
    throw grant === 'refresh_token'
      ? entraError(
          400,
          'invalid_request',
          90009,
          "The request body must contain the following parameter: 'scope' (a refresh request without scope).",
        )
      : entraError(
          400,
          'invalid_request',
          900144,
          "The request body must contain the following parameter: 'scope'.",
        );
  }
  const scopes = scope.split(' ').filter((s) => s !== '');
  const { app: resourceApp, names: askedNames } = resolveScopes(ctx, scopes);
  checkResource(form.get('resource'), resourceApp);
  let names = askedNames;
  let granted: readonly string[] = askedNames;
  let user: EmulatedUser;
  let nonce: string | undefined;
  let mfa = false;
  if (grant === 'authorization_code') {
    const issued = state.codes.get(form.get('code') ?? '');
    if (!issued || issued.clientId !== app.clientId || issued.expiresAtMs <= Date.now()) {
      throw entraError(
        400,
        'invalid_grant',
        70008,
        'The provided authorization code or refresh token has expired due to inactivity.',
      );
    }
    if (issued.redeemed) {
      throw entraError(
        400,
        'invalid_grant',
        54005,
        'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.',
      );
    }
    issued.redeemed = true;
    if ((form.get('redirect_uri') ?? '') !== issued.redirectUri) {
      throw entraError(
        400,
        'invalid_grant',
        70000,
        "The provided value for the 'redirect_uri' is not valid.",
      );
    }
    const verifier = form.get('code_verifier') ?? '';
    if (createHash('sha256').update(verifier).digest('base64url') !== issued.codeChallenge) {
      throw entraError(
        400,
        'invalid_grant',
        50148,
        'The code_verifier does not match the code_challenge supplied in the authorization request for PKCE.',
      );
    }
    user = issued.user;
    nonce = issued.nonce;
    mfa = issued.mfa;
    // `.default` is what the user granted at this sign-in, never more
    if (issued.resourceApp === resourceApp) {
      const atSignIn = resolveScopes(ctx, issued.scopes).names;
      if (scopes.some((s) => s.endsWith('/.default'))) names = atSignIn;
      granted = atSignIn;
    }
  } else {
    const refresh = state.refreshTokens.get(form.get('refresh_token') ?? '');
    if (!refresh || refresh.clientId !== app.clientId || refresh.expiresAtMs <= Date.now()) {
      throw entraError(
        400,
        'invalid_grant',
        70008,
        'The provided authorization code or refresh token has expired due to inactivity.',
      );
    }
    user = refresh.user;
    mfa = refresh.mfa;
    if (scopes.some((s) => s.endsWith('/.default')) && refresh.resourceApp === resourceApp)
      names = [...refresh.granted];
    granted = refresh.resourceApp === resourceApp ? refresh.granted : askedNames;
  }
  if (ctx.revokedUsers.has(user.objectId)) {
    throw entraError(400, 'invalid_grant', 50173, 'The provided grant has expired due to it being revoked.');
  }
  const lifetime = ctx.emulator.tokenLifetimeSeconds;
  const response: Record<string, unknown> = {
    token_type: 'Bearer',
    // the scopes granted, each qualified as asked (`.default` answered with what it stood for)
    scope: [
      ...names.map((n) => `${apiPrefix(scopes) ?? ''}${n}`),
      ...scopes.filter((s) => s === 'offline_access'),
    ].join(' '),
    expires_in: lifetime,
    ext_expires_in: lifetime,
  };
  if (resourceApp) {
    const version = resourceApp.accessTokenVersion === 1 ? '1.0' : '2.0';
    response.access_token = await ctx.emulator.mintUserToken({
      user,
      audience:
        version === '2.0' ? resourceApp.clientId : (resourceApp.identifierUris[0] ?? resourceApp.clientId),
      scopes: names,
      version,
      clientAppId: app.clientId,
      claims: { amr: mfa ? ['pwd', 'mfa'] : ['pwd'], ...(agent ? AGENT_USER_TOKEN_CLAIMS : {}) },
    });
  }
  if (scopes.includes('offline_access') || grant === 'refresh_token') {
    const refreshToken = randomBytes(48).toString('base64url');
    remember(state.refreshTokens, refreshToken, {
      clientId: app.clientId,
      resourceApp,
      granted,
      user,
      expiresAtMs: Date.now() + REFRESH_LIFETIME_MS,
      mfa,
    });
    response.refresh_token = refreshToken;
  }
  if (scopes.includes('openid')) {
    const now = Math.floor(Date.now() / 1000);
    response.id_token = await ctx.emulator.sign({
      aud: app.clientId,
      iss: `${ctx.emulator.httpsUrl}/${user.tenantId}/v2.0`,
      iat: now,
      nbf: now,
      exp: now + lifetime,
      sub: `sub-${user.objectId}`,
      oid: user.objectId,
      tid: user.tenantId,
      name: user.name,
      preferred_username: user.userPrincipalName,
      ver: '2.0',
      ...(nonce ? { nonce } : {}),
    });
  }
  void tenant;
  return response;
}

/** How the request qualified its API scopes (`api://…/`), for the answer's `scope`. */
function apiPrefix(scopes: readonly string[]): string | undefined {
  const api = scopes.find((s) => !OIDC_SCOPES.has(s) && s.includes('/'));
  return api ? api.slice(0, api.lastIndexOf('/') + 1) : undefined;
}

/** Whether an authorize request's `claims` parameter is a claims request for the access token. */
function requestsAccessTokenClaims(claims: string | null): boolean {
  if (!claims) return false;
  try {
    const parsed = JSON.parse(claims) as { access_token?: unknown };
    return typeof parsed?.access_token === 'object' && parsed.access_token !== null;
  } catch {
    return false;
  }
}
