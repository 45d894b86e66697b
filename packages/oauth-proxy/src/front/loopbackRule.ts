// Entra ID's redirect URI rule for a public client: exact, except that the port of a loopback
// (`http://localhost`, `http://127.0.0.1`, `http://[::1]`) redirect URI is ignored (RFC 8252 §7.3);
// scheme, host and path must still match a registered URI.
import { isLoopbackHost } from '@mcp-auth-kit/auth-core';

export function redirectUriAllowed(registered: readonly string[], asked: string): boolean {
  if (registered.includes(asked)) return true;
  let url: URL;
  try {
    url = new URL(asked);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' || !isLoopbackHost(url.hostname)) return false;
  return registered.some((r) => {
    try {
      const reg = new URL(r);
      return (
        reg.protocol === 'http:' &&
        reg.hostname === url.hostname &&
        reg.pathname === url.pathname &&
        reg.search === url.search
      );
    } catch {
      return false;
    }
  });
}
