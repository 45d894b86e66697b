// The browser binding: a cookie set with the consent page and matched at the consent POST and at
// Entra ID's callback, so a sign-in only ever comes back to the browser that consented (RFC 9700
// §4.7; MCP security best practices, "OAuth State Parameter Validation"). `__Host-` means Secure,
// Path=/ and no Domain: no sibling subdomain can plant or overwrite it.

export const BINDING_COOKIE_PREFIX = '__Host-mcp-auth-kit-';
const ATTRIBUTES = 'Path=/; Secure; HttpOnly; SameSite=Lax';

export function parseCookies(header: string | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0) out[part.slice(0, at).trim()] = part.slice(at + 1).trim();
  }
  return out;
}

export function bindingCookie(name: string, value: string, maxAgeSeconds: number): string {
  return `${name}=${value}; ${ATTRIBUTES}; Max-Age=${maxAgeSeconds}`;
}

export function clearedCookie(name: string): string {
  return `${name}=; ${ATTRIBUTES}; Max-Age=0`;
}
