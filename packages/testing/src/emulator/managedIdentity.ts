import type { IncomingMessage } from 'node:http';
import { HttpError } from '../http.js';
import { type EmulatorContext, FIC_AUDIENCE } from './internals.js';

export async function managedIdentityToken(
  ctx: EmulatorContext,

  req: IncomingMessage,
  url: URL,
  record: { grant?: string; clientId?: string; objectId?: string; scope?: string },
): Promise<Record<string, unknown>> {
  const appService = url.pathname === '/msi/token';
  record.grant = appService ? 'app_service' : 'imds';
  if (appService) {
    if (req.headers['x-identity-header'] !== ctx.emulator.identityHeader) {
      throw new HttpError(401, {
        error: 'unauthorized',
        error_description: 'X-IDENTITY-HEADER is missing or wrong',
      });
    }
  } else if (req.headers.metadata !== 'true') {
    throw new HttpError(400, {
      error: 'invalid_request',
      error_description: 'Required metadata header not specified',
    });
  }
  const resource = url.searchParams.get('resource') ?? '';
  record.scope = resource;
  if (!resource)
    throw new HttpError(400, { error: 'invalid_request', error_description: 'resource is required' });
  const clientId = (url.searchParams.get('client_id') ?? '').toLowerCase();
  const objectId = (
    url.searchParams.get('object_id') ??
    url.searchParams.get('principal_id') ??
    ''
  ).toLowerCase();
  const identity = clientId
    ? ctx.identities.get(clientId)
    : objectId
      ? [...ctx.identities.values()].find((i) => i.objectId === objectId)
      : ctx.emulator.systemAssignedIdentity;
  if (!identity) {
    throw new HttpError(400, { error: 'invalid_request', error_description: 'Identity not found' });
  }
  record.clientId = identity.clientId;
  record.objectId = identity.objectId;
  const audience = resource.replace(/\/\.default$/, '');
  const token = await ctx.emulator.mintAppToken({
    app: identity,
    audience,
    version: audience === FIC_AUDIENCE ? '2.0' : '1.0',
  });
  const expiresOn = Math.floor(Date.now() / 1000) + ctx.emulator.tokenLifetimeSeconds;
  return {
    access_token: token,
    expires_on: String(expiresOn),
    expires_in: String(ctx.emulator.tokenLifetimeSeconds),
    resource,
    token_type: 'Bearer',
    client_id: identity.clientId,
  };
}
