// The token endpoint's `authorization_code` and `refresh_token` grants of the emulated Entra ID.
import { createHash, randomBytes } from 'node:crypto';
import { entraError } from '../http.js';
import type { EmulatedApp, EmulatedUser } from '../types.js';
import {
  apiPrefix,
  checkResource,
  expiredGrant,
  missingScope,
  REFRESH_LIFETIME_MS,
  remember,
  resolveScopes,
} from './authorizationRules.js';
import { AGENT_USER_TOKEN_CLAIMS, isDocumentClientId } from './cimd.js';
import { authenticateClient } from './clientAuth.js';
import type { AuthorizationState, EmulatorContext } from './internals.js';

/** The token endpoint's `authorization_code` and `refresh_token` grants. */
export async function redeem(
  ctx: EmulatorContext,
  state: AuthorizationState,
  tenant: string,
  form: URLSearchParams,
  tokenUrl: string,
): Promise<Record<string, unknown>> {
  const grant = form.get('grant_type');
  const asked = form.get('client_id') ?? '';
  // a metadata-document client is its agent identity (created when it signed in): a public client
  const agent = isDocumentClientId(asked) && ctx.cimd.enabled ? ctx.cimd.agent(asked) : undefined;
  const clientId = agent ? agent.appId : asked.toLowerCase();
  const app: Pick<EmulatedApp, 'clientId' | 'publicClient'> | undefined = agent
    ? { clientId: agent.appId, publicClient: true }
    : ctx.apps.get(clientId);
  if (!app)
    throw entraError(
      400,
      'unauthorized_client',
      700016,
      `Application with identifier '${clientId}' was not found in the directory.`,
    );
  // a confidential client proves itself; a public client has nothing to prove
  if (!app.publicClient) await authenticateClient(ctx, form, tokenUrl);
  const scope = form.get('scope') ?? '';
  if (scope.trim() === '') {
    throw grant === 'refresh_token'
      ? entraError(
          400,
          'invalid_request',
          90009,
          "The request body must contain the following parameter: 'scope' (a refresh request without scope).",
        )
      : missingScope();
  }
  const scopes = scope.split(' ').filter((s) => s !== '');
  const { app: resourceApp, names: askedNames } = resolveScopes(ctx, scopes);
  checkResource(form.get('resource'), resourceApp);
  let names = askedNames;
  let granted: readonly string[] = askedNames;
  let user: EmulatedUser;
  let nonce: string | undefined;
  let mfa = false;
  if (grant === 'authorization_code') {
    const issued = state.codes.get(form.get('code') ?? '');
    if (!issued || issued.clientId !== app.clientId || issued.expiresAtMs <= Date.now()) {
      throw expiredGrant();
    }
    if (issued.redeemed) {
      throw entraError(
        400,
        'invalid_grant',
        54005,
        'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.',
      );
    }
    issued.redeemed = true;
    if ((form.get('redirect_uri') ?? '') !== issued.redirectUri) {
      throw entraError(
        400,
        'invalid_grant',
        70000,
        "The provided value for the 'redirect_uri' is not valid.",
      );
    }
    const verifier = form.get('code_verifier') ?? '';
    if (createHash('sha256').update(verifier).digest('base64url') !== issued.codeChallenge) {
      throw entraError(
        400,
        'invalid_grant',
        50148,
        'The code_verifier does not match the code_challenge supplied in the authorization request for PKCE.',
      );
    }
    user = issued.user;
    nonce = issued.nonce;
    mfa = issued.mfa;
    // `.default` is what the user granted at this sign-in, never more
    if (issued.resourceApp === resourceApp) {
      const atSignIn = resolveScopes(ctx, issued.scopes).names;
      if (scopes.some((s) => s.endsWith('/.default'))) names = atSignIn;
      granted = atSignIn;
    }
  } else {
    const refresh = state.refreshTokens.get(form.get('refresh_token') ?? '');
    if (!refresh || refresh.clientId !== app.clientId || refresh.expiresAtMs <= Date.now()) {
      throw expiredGrant();
    }
    user = refresh.user;
    mfa = refresh.mfa;
    if (scopes.some((s) => s.endsWith('/.default')) && refresh.resourceApp === resourceApp)
      names = [...refresh.granted];
    granted = refresh.resourceApp === resourceApp ? refresh.granted : askedNames;
  }
  if (ctx.revokedUsers.has(user.objectId)) {
    throw entraError(400, 'invalid_grant', 50173, 'The provided grant has expired due to it being revoked.');
  }
  const lifetime = ctx.emulator.tokenLifetimeSeconds;
  const response: Record<string, unknown> = {
    token_type: 'Bearer',
    // the scopes granted, each qualified as asked (`.default` answered with what it stood for)
    scope: [
      ...names.map((n) => `${apiPrefix(scopes) ?? ''}${n}`),
      ...scopes.filter((s) => s === 'offline_access'),
    ].join(' '),
    expires_in: lifetime,
    ext_expires_in: lifetime,
  };
  if (resourceApp) {
    const version = resourceApp.accessTokenVersion === 1 ? '1.0' : '2.0';
    response.access_token = await ctx.emulator.mintUserToken({
      user,
      audience:
        version === '2.0' ? resourceApp.clientId : (resourceApp.identifierUris[0] ?? resourceApp.clientId),
      scopes: names,
      version,
      clientAppId: app.clientId,
      claims: { amr: mfa ? ['pwd', 'mfa'] : ['pwd'], ...(agent ? AGENT_USER_TOKEN_CLAIMS : {}) },
    });
  }
  if (scopes.includes('offline_access') || grant === 'refresh_token') {
    const refreshToken = randomBytes(48).toString('base64url');
    remember(state.refreshTokens, refreshToken, {
      clientId: app.clientId,
      resourceApp,
      granted,
      user,
      expiresAtMs: Date.now() + REFRESH_LIFETIME_MS,
      mfa,
    });
    response.refresh_token = refreshToken;
  }
  if (scopes.includes('openid')) {
    const now = Math.floor(Date.now() / 1000);
    response.id_token = await ctx.emulator.sign({
      aud: app.clientId,
      iss: `${ctx.emulator.httpsUrl}/${user.tenantId}/v2.0`,
      iat: now,
      nbf: now,
      exp: now + lifetime,
      sub: `sub-${user.objectId}`,
      oid: user.objectId,
      tid: user.tenantId,
      name: user.name,
      preferred_username: user.userPrincipalName,
      ver: '2.0',
      ...(nonce ? { nonce } : {}),
    });
  }
  void tenant;
  return response;
}
