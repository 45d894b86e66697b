// `GET /{tenant}/oauth2/v2.0/authorize` of the emulated Entra ID: the client (an app registration
// or a Client ID Metadata Document), its redirect URI, the request's rules, the user, consent, and
// the code sent back. Redemption is in redeem.ts, the shared rules in authorizationRules.ts.
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { entraError, HttpError } from '../http.js';
import type { EmulatedApp } from '../types.js';
import {
  CODE_LIFETIME_MS,
  checkResource,
  missingScope,
  redirectUriMatches,
  remember,
  requestsAccessTokenClaims,
  resolveScopes,
} from './authorizationRules.js';
import { type AgentIdentity, CimdRefusal, isDocumentClientId } from './cimd.js';
import type { AuthorizationState, EmulatorContext } from './internals.js';
import { page, signInPage } from './pages.js';

export { redirectUriMatches } from './authorizationRules.js';
export type { AuthorizationState, IssuedCode, IssuedRefreshToken } from './internals.js';
export { redeem } from './redeem.js';

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
      throw missingScope();
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
