import { AuthCoreError } from '../errors.js';
import type { CallerPrincipal, RequestAuthContext } from './RequestAuthContext.js';

function str(claims: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const value = claims[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Builds the request auth context from a token whose signature and claims were already validated.
 * Throws `invalid_auth_info` when a claim the context needs (tid, oid or sub, exp, aud) is missing.
 */
export function createRequestAuthContext(
  rawToken: string,
  claims: Readonly<Record<string, unknown>>,
): RequestAuthContext {
  const tenantId = str(claims, 'tid');
  const objectId = str(claims, 'oid') ?? str(claims, 'sub');
  const exp = claims.exp;
  const aud = Array.isArray(claims.aud) ? claims.aud[0] : claims.aud;
  const missing = [
    tenantId ? undefined : 'tid',
    objectId ? undefined : 'oid',
    typeof exp === 'number' && Number.isFinite(exp) ? undefined : 'exp',
    typeof aud === 'string' ? undefined : 'aud',
  ].filter((x): x is string => x !== undefined);
  if (missing.length > 0) {
    throw new AuthCoreError('invalid_auth_info', `token lacks required claims: ${missing.join(', ')}`);
  }
  const scp = str(claims, 'scp');
  const scopes = scp ? scp.split(' ').filter((s) => s !== '' && s !== '/') : [];
  const roles = Array.isArray(claims.roles)
    ? claims.roles.filter((r): r is string => typeof r === 'string')
    : [];
  // an agent acting on its own carries `idtyp: app` and an unscoped `scp` ("/"): not a user
  const delegated = scopes.length > 0 && str(claims, 'idtyp') !== 'app';
  const actor = str(claims, 'xms_act_fct')?.split(' ') ?? [];
  const parentAppId = str(claims, 'xms_par_app_azp');
  const principal: CallerPrincipal = {
    kind: delegated ? 'user' : 'app',
    tenantId: tenantId!.toLowerCase(),
    objectId: objectId!.toLowerCase(),
    userPrincipalName: delegated ? (str(claims, 'upn') ?? str(claims, 'preferred_username')) : undefined,
    appId: str(claims, 'azp') ?? str(claims, 'appid'),
    name: str(claims, 'name'),
    ...(actor.includes('11') ? { agentIdentity: true } : {}),
    ...(parentAppId ? { parentAppId } : {}),
  };
  return Object.freeze({
    rawToken,
    claims: Object.freeze({ ...claims }),
    principal: Object.freeze(principal),
    scopes: Object.freeze(scopes),
    roles: Object.freeze(roles),
    audience: aud as string,
    expiresOnTimestampMs: (exp as number) * 1000,
  });
}
