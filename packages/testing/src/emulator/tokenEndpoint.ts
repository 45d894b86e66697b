import type { JWTPayload } from 'jose';
import { entraError } from '../http.js';
import type { EmulatedApp } from '../types.js';
import { redeem } from './authorizationCode.js';
import { isDocumentClientId, refuseClientCredentials } from './cimd.js';
import { authenticateClient } from './clientAuth.js';
import { type EmulatorContext, JWT_BEARER, OIDC_SCOPES, resourceOf, tokenResponse } from './internals.js';

export async function token(
  ctx: EmulatorContext,

  tenant: string,
  form: URLSearchParams,
  url: URL,
  record: { grant?: string; clientId?: string; objectId?: string; scope?: string },
): Promise<Record<string, unknown>> {
  const grantType = form.get('grant_type') ?? '';
  const scope = form.get('scope') ?? '';
  record.clientId = form.get('client_id')?.toLowerCase();
  // Recorded without the OIDC scopes msal-node adds, so tests can count per resource scope.
  record.scope = scope
    .split(' ')
    .filter((s) => s !== '' && !OIDC_SCOPES.has(s))
    .join(' ');
  record.grant =
    grantType === JWT_BEARER && form.get('requested_token_use') === 'on_behalf_of'
      ? 'on_behalf_of'
      : grantType;
  const tokenUrl = `${ctx.emulator.httpsUrl}${url.pathname}`;
  if (grantType === JWT_BEARER && form.get('requested_token_use') === 'on_behalf_of') {
    const assertion = form.get('assertion') ?? '';
    // Who the assertion names is recorded before any check, so refusals are counted per user too.
    try {
      const claims = JSON.parse(
        Buffer.from(assertion.split('.')[1] ?? '', 'base64url').toString('utf8'),
      ) as JWTPayload;
      if (typeof claims.oid === 'string') record.objectId = claims.oid;
    } catch {
      // not a JWT; refused below
    }
    const app = await authenticateClient(ctx, form, tokenUrl);
    return onBehalfOf(ctx, tenant, app, assertion, scope);
  }
  if (grantType === 'authorization_code' || grantType === 'refresh_token') {
    return redeem(ctx, ctx.authorization, tenant, form, tokenUrl);
  }
  if (grantType === 'client_credentials') {
    if (isDocumentClientId(form.get('client_id') ?? '')) refuseClientCredentials(form.get('client_id')!);
    const app = await authenticateClient(ctx, form, tokenUrl);
    record.objectId = app.objectId;
    const resource = resourceOf(scope);
    const token = await ctx.emulator.mintAppToken({
      app,
      audience: resource,
      roles: app.roles,
      version: '1.0',
    });
    return tokenResponse(token, scope, ctx.emulator.tokenLifetimeSeconds);
  }
  throw entraError(
    400,
    'unsupported_grant_type',
    70003,
    `The app requested an unsupported grant type '${grantType}'.`,
  );
}

export async function onBehalfOf(
  ctx: EmulatorContext,

  tenant: string,
  app: EmulatedApp,
  assertion: string,
  scope: string,
): Promise<Record<string, unknown>> {
  let claims: JWTPayload;
  try {
    claims = await ctx.emulator.verify(assertion, { ignoreExpiry: true });
  } catch {
    throw entraError(400, 'invalid_grant', 50013, 'Assertion failed signature validation.');
  }
  const now = Math.floor(Date.now() / 1000);
  if (typeof claims.exp !== 'number' || claims.exp <= now) {
    throw entraError(400, 'invalid_grant', 500133, 'Assertion is not within its valid time range.');
  }
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audiences.includes(app.clientId) && !audiences.includes(`api://${app.clientId}`)) {
    throw entraError(
      400,
      'invalid_grant',
      50013,
      'Assertion audience does not match the Client app presenting the assertion.',
    );
  }
  if (typeof claims.scp !== 'string' || claims.scp === '') {
    throw entraError(
      400,
      'invalid_request',
      7000114,
      `Application '${app.clientId}' is not allowed to make application on-behalf-of calls.`,
    );
  }
  const oid = String(claims.oid ?? '');
  const tid = String(claims.tid ?? '');
  if (tenant !== 'organizations' && tenant !== 'common' && tenant !== tid) {
    throw entraError(400, 'invalid_grant', 50020, 'The user is not from the tenant the request is for.');
  }
  if (ctx.revokedUsers.has(oid)) {
    throw entraError(
      400,
      'invalid_grant',
      50173,
      'The provided grant has expired due to it being revoked, a fresh auth token is needed.',
    );
  }
  const policy = ctx.mfaRequired.get(oid);
  const amr = Array.isArray(claims.amr) ? claims.amr : [];
  if (policy !== undefined && !amr.includes('mfa')) {
    // Entra ID's On-Behalf-Of answer when Conditional Access needs more from the user: the
    // middle tier passes `claims` back to the client, which signs in again with them
    const error = entraError(
      400,
      'interaction_required',
      50076,
      `Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '${resourceOf(scope)}'.`,
    );
    (error.body as Record<string, unknown>).claims = JSON.stringify({
      access_token: { capolids: { essential: true, values: [policy] } },
    });
    throw error;
  }
  const user = ctx.users.get(oid) ?? {
    objectId: oid,
    tenantId: tid,
    userPrincipalName: String(claims.upn ?? claims.preferred_username ?? ''),
    name: String(claims.name ?? ''),
  };
  const resource = resourceOf(scope);
  if (!resource)
    throw entraError(
      400,
      'invalid_scope',
      70011,
      "The provided value for the input parameter 'scope' is not valid.",
    );
  const token = await ctx.emulator.mintUserToken({
    user,
    audience: resource,
    scopes: ['user_impersonation'],
    version: '1.0',
    clientAppId: app.clientId,
  });
  return tokenResponse(token, scope, ctx.emulator.tokenLifetimeSeconds);
}
