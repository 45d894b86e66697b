import type { Handler } from '../context.js';
import { readForm } from '../http/body.js';
import { authenticateClient } from './clientAuthentication.js';

/**
 * RFC 7009: a refresh token or access token, presented by the client it was issued to, ends its
 * whole sign-in; another client's request changes nothing (§2.1). Always 200.
 */
export const revoke: Handler = async (ctx, { request, address }) => {
  const form = await readForm(request);
  ctx.limits.token(address);
  const client = await authenticateClient(ctx, request, form, address);
  const token = form.get('token') ?? '';
  if (!(await ctx.grants.revokeByRefreshToken(token, client.clientId)) && token.split('.').length === 3) {
    const payload = await ctx.tokens.issuedTo(token, client.clientId);
    if (payload && typeof payload.grant === 'string') await ctx.grants.revoke(payload.grant);
  }
  return new Response(null, { status: 200, headers: { 'cache-control': 'no-store' } });
};
