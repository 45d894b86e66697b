// Entra ID's answer. It must come back to the browser that consented: the trip's binding cookie is
// checked before anything else happens, and without it the answer is an error page, never a
// redirect carrying a code (a sign-in link forwarded to someone else ends here).
import type { JWTPayload } from 'jose';
import { decodeJwt } from 'jose';
import { backTo, type Handler } from '../context.js';
import { safeEqual } from '../crypto.js';
import { UpstreamError } from '../errors.js';
import { clearedCookie, parseCookies } from '../http/cookies.js';
import { html, redirect } from '../http/responses.js';
import { errorPage } from '../pages.js';
import type { UpstreamTokens } from '../upstream.js';

export const callback: Handler = async (ctx, { request, url }) => {
  const q = url.searchParams;
  const trip = await ctx.authorizations.takeTrip(q.get('state') ?? '');
  if (!trip) {
    return html(
      400,
      errorPage(
        'Sign-in expired',
        'this sign-in is unknown or was already completed; start again from your client',
      ),
    );
  }
  const { pending } = trip;
  const cookie = parseCookies(request.headers.get('cookie'))[pending.cookieName];
  if (!cookie || !safeEqual(cookie, pending.browser)) {
    ctx.logger.warn('OAuth proxy: a sign-in came back to a browser that did not consent to it; refused');
    return html(
      403,
      errorPage(
        'Sign-in refused',
        'this sign-in was started in another browser. If you did not start it, someone may have sent you their sign-in link: nothing was shared. Otherwise start again from your client, in this browser.',
      ),
    );
  }
  const headers = { 'set-cookie': clearedCookie(pending.cookieName) };
  const back = (params: Record<string, string | undefined>) =>
    redirect(backTo(ctx, pending.redirectUri, { ...params, state: pending.state }), headers);
  if (q.get('error')) {
    return back({
      error: 'access_denied',
      error_description: `the sign-in at Entra ID failed (${(q.get('error') ?? '').slice(0, 60)})`,
    });
  }
  let tokens: UpstreamTokens;
  try {
    tokens = await ctx.upstream.redeemCode(q.get('code') ?? '', ctx.callbackUrl, trip.verifier);
  } catch (error) {
    if (!(error instanceof UpstreamError)) throw error;
    ctx.logger.warn(`OAuth proxy: the code exchange at Entra ID failed: ${error.message}`);
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
  const upn =
    typeof claims.upn === 'string'
      ? claims.upn
      : typeof claims.preferred_username === 'string'
        ? claims.preferred_username
        : undefined;
  const code = await ctx.grants.begin(
    {
      clientId: pending.clientId,
      scopes: pending.scopes,
      user: {
        oid: String(claims.oid ?? claims.sub ?? ''),
        tid: String(claims.tid ?? ''),
        upn,
        name: typeof claims.name === 'string' ? claims.name : undefined,
      },
      upstream: tokens,
    },
    { redirectUri: pending.redirectUri, codeChallenge: pending.codeChallenge },
  );
  return back({ code });
};
