// The scope and resource fixes the Entra front applies, in one place for authorize and token.
// Entra ID needs `scope` on every request (AADSTS900144, and AADSTS90009 on refresh), refuses
// `offline_access` alone (AADSTS70011), falls back to Microsoft Graph when a refresh names no API
// scope (AADSTS650053 on reconnect), and refuses a `resource` that is not the API's Application ID
// URI (AADSTS9010010). MCP clients trip over each.

const OIDC = new Set(['openid', 'profile', 'email', 'offline_access']);

export interface ScopeRules {
  /** The API's Application ID URI, e.g. `api://…` or `https://mcp.contoso.com/mcp`. */
  readonly applicationIdUri: string;
  /** The MCP URL clients name as `resource` (it may differ from the Application ID URI). */
  readonly resource: string;
  /** The API's scopes (short names) a client gets when it asks for none. */
  readonly scopes: readonly string[];
}

const trim = (uri: string) => uri.replace(/\/$/, '');

/** Whether `value` names this API: its Application ID URI or the MCP URL (with or without a trailing slash). */
export function namesThisApi(rules: ScopeRules, value: string): boolean {
  const v = trim(value);
  return v === trim(rules.applicationIdUri) || v === trim(rules.resource);
}

/**
 * The scope to send to Entra ID. Scopes qualified by the MCP URL are re-qualified by the
 * Application ID URI; the API's short names are qualified; OIDC scopes are kept only beside an API
 * scope; when the request names no API scope, `fallback` is used (the API's own scopes at
 * authorize, `{Application ID URI}/.default` at the token endpoint: what the client was granted,
 * never more). Scopes of other resources pass unchanged: Entra ID decides on them.
 */
export function fixScope(rules: ScopeRules, scope: string | null, fallback: readonly string[]): string {
  const asked = (scope ?? '').split(' ').filter((s) => s !== '');
  const api: string[] = [];
  const oidc: string[] = [];
  const other: string[] = [];
  for (const s of asked) {
    if (OIDC.has(s)) {
      oidc.push(s);
      continue;
    }
    const cut = s.lastIndexOf('/');
    if (cut > 0 && namesThisApi(rules, s.slice(0, cut)))
      api.push(`${trim(rules.applicationIdUri)}/${s.slice(cut + 1)}`);
    else if (cut < 0 && rules.scopes.includes(s)) api.push(`${trim(rules.applicationIdUri)}/${s}`);
    else other.push(s);
  }
  if (api.length === 0 && other.length === 0) {
    api.push(...fallback);
    // a client that asked for nothing at all still needs to reconnect: a refresh token
    if (asked.length === 0) oidc.push('offline_access');
  }
  // OIDC scopes only beside a resource scope: `offline_access` alone is AADSTS70011
  const kept = api.length > 0 || other.length > 0 ? oidc : [];
  return [...new Set([...api, ...other, ...kept])].join(' ');
}

/** `resource` for Entra ID: the Application ID URI when the client named the MCP URL; anything else unchanged. */
export function fixResource(rules: ScopeRules, resource: string | null): string | null {
  if (resource === null || resource === '') return resource;
  return namesThisApi(rules, resource) ? trim(rules.applicationIdUri) : resource;
}
