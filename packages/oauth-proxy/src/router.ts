// The façade's routes and the one place its errors become HTTP answers.
import { type Logger, safeErrorMessage } from '@mcp-auth-kit/auth-core';
import type { FacadeContext, FacadeRequest, Handler } from './context.js';
import { ClientMetadataError, FacadeStoreError, OAuthError, UpstreamError } from './errors.js';
import { authorize } from './handlers/authorize.js';
import { callback } from './handlers/callback.js';
import { consent } from './handlers/consent.js';
import { jwks, metadata } from './handlers/metadata.js';
import { register } from './handlers/register.js';
import { revoke } from './handlers/revoke.js';
import { token } from './handlers/token.js';
import { json } from './http/responses.js';

export const METADATA_PATH = '/.well-known/oauth-authorization-server';

const ROUTES: Record<string, Handler> = {
  [`GET ${METADATA_PATH}`]: metadata,
  'GET /oauth/jwks': jwks,
  'POST /oauth/register': register,
  'GET /oauth/authorize': authorize,
  'POST /oauth/consent': consent,
  'GET /oauth/callback': callback,
  'POST /oauth/token': token,
  'POST /oauth/revoke': revoke,
};
const PATHS = new Set(Object.keys(ROUTES).map((k) => k.slice(k.indexOf(' ') + 1)));

/** Whether a path is the façade's (a cheap test every MCP request passes). */
export function isFacadePath(pathname: string): boolean {
  return pathname === METADATA_PATH || pathname.startsWith('/oauth/');
}

/** Answers one façade request; never throws. */
export async function route(ctx: FacadeContext, req: FacadeRequest): Promise<Response> {
  const handler = ROUTES[`${req.request.method} ${req.url.pathname}`];
  if (!handler) {
    const status = PATHS.has(req.url.pathname) ? 405 : 404;
    return json(status, {
      error: 'invalid_request',
      error_description: status === 405 ? 'method not allowed' : 'not found',
    });
  }
  try {
    return await handler(ctx, req);
  } catch (error) {
    return errorResponse(error, req.url.pathname, ctx.logger);
  }
}

/** The one mapping of the façade's (and the Entra front's) errors to answers. */
export function errorResponse(error: unknown, path: string, logger: Logger): Response {
  if (error instanceof OAuthError) {
    return json(error.status, { error: error.error, error_description: error.message }, error.headers);
  }
  if (error instanceof ClientMetadataError) {
    return json(400, { error: error.error, error_description: error.message });
  }
  if (error instanceof FacadeStoreError) {
    // a full quota or an unreachable store: nothing stored is lost, the caller may try again
    logger.warn(`OAuth proxy: ${path}: ${error.message}`);
    return json(
      503,
      { error: 'temporarily_unavailable', error_description: error.message },
      { 'retry-after': error.code === 'store_quota_full' ? '30' : '5' },
    );
  }
  if (error instanceof UpstreamError) {
    logger.warn(`OAuth proxy: ${path}: ${error.message}`);
    return json(
      503,
      { error: 'temporarily_unavailable', error_description: error.message },
      { 'retry-after': '5' },
    );
  }
  logger.warn(`OAuth proxy: ${path} failed unexpectedly: ${safeErrorMessage(error)}`);
  return json(500, { error: 'server_error', error_description: 'the request failed; try again' });
}
