// The authorization endpoint: validates the client's request, stores it as a pending
// authorization and shows the consent page, with a fresh browser-binding cookie.
import { randomBytes } from 'node:crypto';
import type { ClientRecord } from '../clients/clientRecord.js';
import { backTo, type FacadeContext, type Handler, isOwnResource, qualify } from '../context.js';
import { randomToken } from '../crypto.js';
import { ClientMetadataError, OAuthError } from '../errors.js';
import { BINDING_COOKIE_PREFIX, bindingCookie } from '../http/cookies.js';
import { html, redirect } from '../http/responses.js';
import { AUTHORIZATION_MS, type PendingAuthorization } from '../models/Authorizations.js';
import { consentPage, errorPage } from '../pages.js';

/** Longest `state` and `login_hint` stored (RFC 6749 sets no limit; these are generous). */
export const MAX_STATE_LENGTH = 1024;
export const MAX_LOGIN_HINT_LENGTH = 256;
const MAX_SCOPE_LENGTH = 1000;

/** The scopes asked for, as the façade's short names; unknown ones are an error, none means all. */
export function scopesFrom(ctx: FacadeContext, scope: string | null): string[] {
  const prefix = ctx.resource.replace(/\/$/, '');
  const asked = (scope ?? '')
    .split(' ')
    .filter((s) => s !== '' && !['openid', 'profile', 'offline_access'].includes(s));
  if (asked.length === 0) return [...ctx.scopes];
  const short = asked.map((s) => (s.startsWith(`${prefix}/`) ? s.slice(prefix.length + 1) : s));
  const unknown = short.filter((s) => !ctx.scopes.includes(s));
  if (unknown.length > 0) {
    throw new OAuthError(
      400,
      'invalid_scope',
      `unknown scope ${unknown.join(' ').slice(0, 100)}; this server offers ${ctx.scopes.map((s) => qualify(ctx, s)).join(' ')}`,
    );
  }
  return [...new Set(short)];
}

export const authorize: Handler = async (ctx, { url, address }) => {
  // counted before anything is looked up or stored: unknown clients cost the caller too
  ctx.limits.authorization(address);
  const q = url.searchParams;
  const clientId = q.get('client_id') ?? '';
  let client: ClientRecord | undefined;
  try {
    client = await ctx.clients.find(clientId, address);
  } catch (error) {
    if (!(error instanceof ClientMetadataError)) throw error;
    return html(400, errorPage('Unknown client', error.message));
  }
  // RFC 6749 §4.1.2.1: with no valid client or redirect URI, say so here and never redirect
  if (!client)
    return html(400, errorPage('Unknown client', `no client ${clientId.slice(0, 100)} is registered`));
  ctx.limits.client(client.clientId, client.source);
  const redirectUri =
    q.get('redirect_uri') ?? (client.redirectUris.length === 1 ? client.redirectUris[0]! : '');
  if (!client.redirectUris.includes(redirectUri)) {
    return html(400, errorPage('Redirect URI mismatch', 'the redirect_uri is not one the client registered'));
  }
  const state = q.get('state') ?? undefined;
  if (state !== undefined && state.length > MAX_STATE_LENGTH) {
    // not reflected: a state this long is not sent back anywhere
    return html(400, errorPage('Request refused', `state must be at most ${MAX_STATE_LENGTH} characters`));
  }
  const fail = (error: string, description: string) =>
    redirect(backTo(ctx, redirectUri, { error, error_description: description, state }));
  if (q.get('response_type') !== 'code')
    return fail('unsupported_response_type', 'response_type must be code');
  const challenge = q.get('code_challenge') ?? '';
  if (q.get('code_challenge_method') !== 'S256' || !/^[A-Za-z0-9_-]{43}$/.test(challenge)) {
    return fail('invalid_request', 'PKCE with code_challenge_method S256 is required');
  }
  if (!isOwnResource(ctx, q.get('resource')))
    return fail('invalid_target', `resource must be ${ctx.resource}`);
  const loginHint = q.get('login_hint') ?? undefined;
  if (loginHint !== undefined && loginHint.length > MAX_LOGIN_HINT_LENGTH) {
    return fail('invalid_request', `login_hint must be at most ${MAX_LOGIN_HINT_LENGTH} characters`);
  }
  const scope = q.get('scope');
  if (scope !== null && scope.length > MAX_SCOPE_LENGTH) {
    return fail('invalid_scope', `scope must be at most ${MAX_SCOPE_LENGTH} characters`);
  }
  let scopes: string[];
  try {
    scopes = scopesFrom(ctx, scope);
  } catch (error) {
    return fail('invalid_scope', (error as Error).message);
  }
  // the browser binding: always a new value, never one the browser brought (a planted cookie must
  // not become the binding); a cookie per flow, so two sign-ins in one browser do not collide
  const transaction = randomToken();
  const pending: PendingAuthorization = {
    clientId: client.clientId,
    redirectUri,
    codeChallenge: challenge,
    state,
    scopes,
    loginHint,
    csrf: randomToken(),
    cookieName: `${BINDING_COOKIE_PREFIX}${randomBytes(6).toString('hex')}`,
    browser: randomToken(),
  };
  await ctx.authorizations.savePending(transaction, pending);
  const page = consentPage({
    clientName: client.clientName,
    clientId: client.clientId,
    redirectHost: new URL(redirectUri).host,
    scopes: scopes.map((s) => qualify(ctx, s)),
    resource: ctx.resource,
    transaction,
    csrf: pending.csrf,
    action: '/oauth/consent',
  });
  return html(200, page, {
    'set-cookie': bindingCookie(pending.cookieName, pending.browser, AUTHORIZATION_MS / 1000),
  });
};
