import type { Handler } from '../context.js';
import { ClientMetadataError, OAuthError } from '../errors.js';
import { readJson } from '../http/body.js';
import { json } from '../http/responses.js';

/** RFC 7591 Dynamic Client Registration. */
export const register: Handler = async (ctx, { request, address }) => {
  ctx.limits.registration(address);
  const body = await readJson(request);
  let registered: Awaited<ReturnType<typeof ctx.clients.register>>;
  try {
    registered = await ctx.clients.register(body);
  } catch (error) {
    if (error instanceof ClientMetadataError) throw new OAuthError(400, error.code, error.message);
    throw error;
  }
  const { record, secret } = registered;
  return json(201, {
    client_id: record.clientId,
    ...(secret ? { client_secret: secret, client_secret_expires_at: 0 } : {}),
    client_id_issued_at: Math.floor(Date.now() / 1000),
    client_name: record.clientName,
    redirect_uris: record.redirectUris,
    token_endpoint_auth_method: record.tokenEndpointAuthMethod,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
  });
};
