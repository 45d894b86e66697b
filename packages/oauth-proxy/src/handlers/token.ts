// The token endpoint: authorization_code (single use, bound to client, redirect URI and PKCE; a
// replay revokes what the code issued) and refresh_token (rotated, with reuse detection).
import { type FacadeContext, type Handler, isOwnResource, qualify } from '../context.js';
import { OAuthError, SignInRevokedError } from '../errors.js';
import { codeOrRefreshGrant, readForm } from '../http/body.js';
import { json } from '../http/responses.js';
import type { Grant } from '../models/Grants.js';
import { authenticateClient } from './clientAuthentication.js';

async function answer(ctx: FacadeContext, issued: { grantId: string; grant: Grant; refreshToken: string }) {
  return json(
    200,
    {
      access_token: await ctx.tokens.issue(issued.grantId, issued.grant),
      token_type: 'Bearer',
      expires_in: ctx.tokens.lifetimeSeconds,
      refresh_token: issued.refreshToken,
      scope: issued.grant.scopes.map((s) => qualify(ctx, s)).join(' '),
    },
    { 'cache-control': 'no-store', pragma: 'no-cache' },
  );
}

export const token: Handler = async (ctx, { request, address }) => {
  const form = await readForm(request);
  // counted before the client is looked up: an unknown or metadata-document client costs too
  ctx.limits.token(address);
  const client = await authenticateClient(ctx, request, form, address);
  ctx.limits.client(client.clientId, client.source);
  const grantType = codeOrRefreshGrant(form);
  if (!isOwnResource(ctx, form.get('resource'))) {
    throw new OAuthError(400, 'invalid_target', `resource must be ${ctx.resource}`);
  }
  try {
    const issued =
      grantType === 'authorization_code'
        ? await ctx.grants.redeem(form.get('code') ?? '', {
            clientId: client.clientId,
            redirectUri: form.get('redirect_uri'),
            verifier: form.get('code_verifier') ?? '',
          })
        : await ctx.grants.rotate(form.get('refresh_token') ?? '', client.clientId);
    const response = await answer(ctx, issued);
    // a client in use lives on; one nobody signs in with expires (Clients.UNUSED_CLIENT_MS)
    await ctx.clients.keepAlive(client);
    return response;
  } catch (error) {
    if (error instanceof SignInRevokedError)
      throw new OAuthError(400, 'invalid_grant', 'the sign-in was revoked');
    throw error;
  }
};
