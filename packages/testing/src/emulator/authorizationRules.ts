// The rules the emulated Entra ID applies to an authorization request and a code or refresh
// redemption: redirect URIs (with the loopback any-port rule), scopes and the app they belong to,
// the RFC 8707 resource, and the bounded stores of issued codes and refresh tokens.
import { entraError } from '../http.js';
import type { EmulatedApp } from '../types.js';
import { type EmulatorContext, OIDC_SCOPES } from './internals.js';

export const CODE_LIFETIME_MS = 10 * 60_000;
export const REFRESH_LIFETIME_MS = 24 * 3_600_000;
const MAX_STORED = 10_000;
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export function remember<T>(map: Map<string, T>, key: string, value: T): void {
  if (map.size >= MAX_STORED) map.delete(map.keys().next().value!);
  map.set(key, value);
}

/**
 * Entra's redirect URI rule: an exact match with a registered URI, except that for a public client
 * a registered `http://localhost` or `http://127.0.0.1` URI matches any port (RFC 8252 loopback).
 */
export function redirectUriMatches(app: EmulatedApp, redirectUri: string): boolean {
  if (app.redirectUris.includes(redirectUri)) return true;
  if (!app.publicClient) return false;
  let asked: URL;
  try {
    asked = new URL(redirectUri);
  } catch {
    return false;
  }
  if (asked.protocol !== 'http:' || !LOOPBACK_HOSTS.has(asked.hostname)) return false;
  return app.redirectUris.some((registered) => {
    try {
      const r = new URL(registered);
      return r.protocol === 'http:' && r.hostname === asked.hostname && r.pathname === asked.pathname;
    } catch {
      return false;
    }
  });
}

/**
 * The app a set of requested scopes belongs to: `{identifierUri}/{scope}` of an app registration
 * that exposes that scope (or `.default`). OIDC scopes belong to no app.
 */
export function resolveScopes(
  ctx: EmulatorContext,
  scopes: readonly string[],
): { app: EmulatedApp | undefined; names: string[] } {
  let app: EmulatedApp | undefined;
  const names: string[] = [];
  for (const scope of scopes) {
    if (OIDC_SCOPES.has(scope)) continue;
    const cut = scope.lastIndexOf('/');
    const uri = cut > 0 ? scope.slice(0, cut) : '';
    const name = scope.slice(cut + 1);
    const owner = [...ctx.apps.values()].find((a) => a.identifierUris.includes(uri) || a.clientId === uri);
    if (!owner || (name !== '.default' && !owner.exposedScopes.includes(name))) {
      throw entraError(
        400,
        'invalid_scope',
        70011,
        `The provided value for the input parameter 'scope' isn't valid. The scope ${scope} isn't valid.`,
      );
    }
    if (app && app !== owner) {
      throw entraError(
        400,
        'invalid_request',
        28000,
        'Provided value for the input parameter scope is not valid because it contains more than one resource.',
      );
    }
    app = owner;
    names.push(...(name === '.default' ? owner.exposedScopes : [name]));
  }
  return { app, names };
}

/** RFC 8707 `resource`, as Entra checks it: it must be an identifier URI of the scopes' app. */
export function checkResource(resource: string | null, app: EmulatedApp | undefined): void {
  if (resource === null || resource === '') return;
  if (app && (app.identifierUris.includes(resource) || app.clientId === resource)) return;
  throw entraError(
    400,
    'invalid_target',
    9010010,
    `The resource parameter provided in the request doesn't match with the requested scopes.`,
  );
}

/** How the request qualified its API scopes (`api://…/`), for the answer's `scope`. */
export function apiPrefix(scopes: readonly string[]): string | undefined {
  const api = scopes.find((s) => !OIDC_SCOPES.has(s) && s.includes('/'));
  return api ? api.slice(0, api.lastIndexOf('/') + 1) : undefined;
}

/** Whether an authorize request's `claims` parameter is a claims request for the access token. */
export function requestsAccessTokenClaims(claims: string | null): boolean {
  if (!claims) return false;
  try {
    const parsed = JSON.parse(claims) as { access_token?: unknown };
    return typeof parsed?.access_token === 'object' && parsed.access_token !== null;
  } catch {
    return false;
  }
}

/** AADSTS900144: a request without `scope` (Entra requires it on authorize and on the token endpoint). */
export function missingScope() {
  return entraError(
    400,
    'invalid_request',
    900144,
    "The request body must contain the following parameter: 'scope'.",
  );
}

/** AADSTS70008: an unknown, expired or other client's code or refresh token. */
export function expiredGrant() {
  return entraError(
    400,
    'invalid_grant',
    70008,
    'The provided authorization code or refresh token has expired due to inactivity.',
  );
}
