// The consent form's POST: valid only with its CSRF token and from the browser that was shown the
// page (its binding cookie). On allow, the person goes to Entra ID.
import { backTo, type Handler } from '../context.js';
import { randomToken, safeEqual, sha256 } from '../crypto.js';
import { readForm } from '../http/body.js';
import { parseCookies } from '../http/cookies.js';
import { html, redirect } from '../http/responses.js';
import { errorPage } from '../pages.js';

export const consent: Handler = async (ctx, { request }) => {
  const form = await readForm(request);
  const transaction = form.get('transaction') ?? '';
  const pending = await ctx.authorizations.pending(transaction);
  const cookie = pending ? parseCookies(request.headers.get('cookie'))[pending.cookieName] : undefined;
  if (
    !pending ||
    !safeEqual(form.get('csrf') ?? '', pending.csrf) ||
    !cookie ||
    !safeEqual(cookie, pending.browser)
  ) {
    return html(
      403,
      errorPage(
        'Request refused',
        'this consent form is not valid here (expired, or not from this browser); start the sign-in again',
      ),
    );
  }
  // decided once: a second POST of the same form finds nothing
  if (!(await ctx.authorizations.takePending(transaction))) {
    return html(
      403,
      errorPage('Request refused', 'this consent was already decided; start the sign-in again'),
    );
  }
  if (form.get('decision') !== 'allow') {
    return redirect(
      backTo(ctx, pending.redirectUri, {
        error: 'access_denied',
        error_description: 'the user denied access',
        state: pending.state,
      }),
    );
  }
  const upstreamState = randomToken();
  const verifier = randomToken();
  await ctx.authorizations.saveTrip(upstreamState, { pending, verifier });
  return redirect(
    ctx.upstream.authorizationUrl({
      redirectUri: ctx.callbackUrl,
      state: upstreamState,
      codeChallenge: sha256(verifier),
      nonce: randomToken(),
      ...(pending.loginHint ? { loginHint: pending.loginHint } : {}),
    }),
  );
};
