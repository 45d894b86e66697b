import type { IncomingMessage } from 'node:http';

export interface ResourceUrlOptions {
  /** This server's public MCP URL (e.g. `https://mcp.contoso.com/mcp`); derived from the request when absent. */
  readonly resourceUrl?: string;
  /** Path of the MCP endpoint when the URL is derived; default `/mcp`. */
  readonly mcpPath?: string;
  /** Use `X-Forwarded-Host`/`X-Forwarded-Proto` (only behind a trusted ingress that sets them). */
  readonly trustForwardedHeaders?: boolean;
}

function first(value: string | string[] | undefined): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return v?.split(',')[0]?.trim() || undefined;
}

const HOST_PATTERN = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

/**
 * Parsed resource URLs by their text: a request costs a lookup, not a URL parse. Bounded (the Host
 * header is the client's): at most 64, the oldest dropped. The URLs are shared: read them only.
 */
const parsed = new Map<string, URL>();
function urlOf(text: string): URL {
  let url = parsed.get(text);
  if (!url) {
    url = new URL(text);
    if (parsed.size >= 64) parsed.delete(parsed.keys().next().value!);
    parsed.set(text, url);
  }
  return url;
}

/** The public MCP resource URL for a request (a shared URL: read it, never change it). */
export function resourceUrlFor(req: IncomingMessage, options: ResourceUrlOptions): URL {
  if (options.resourceUrl) return urlOf(options.resourceUrl);
  const forwardedHost = options.trustForwardedHeaders ? first(req.headers['x-forwarded-host']) : undefined;
  const forwardedProto = options.trustForwardedHeaders ? first(req.headers['x-forwarded-proto']) : undefined;
  const tls = 'encrypted' in req.socket && (req.socket as { encrypted?: boolean }).encrypted === true;
  const proto =
    forwardedProto === 'https' || forwardedProto === 'http' ? forwardedProto : tls ? 'https' : 'http';
  let host = forwardedHost ?? req.headers.host ?? '';
  if (!HOST_PATTERN.test(host))
    host = `${req.socket.localAddress ?? '127.0.0.1'}:${req.socket.localPort ?? 80}`;
  return urlOf(`${proto}://${host}${options.mcpPath ?? '/mcp'}`);
}

/** The RFC 9728 metadata URL for a resource: `/.well-known/oauth-protected-resource` + the resource path. */
export function metadataUrlFor(resource: URL): string {
  const path = resource.pathname === '/' ? '' : resource.pathname.replace(/\/$/, '');
  return `${resource.origin}/.well-known/oauth-protected-resource${path}`;
}

/** The public MCP resource URL for a web-standard `Request` (whose URL is absolute). */
export function resourceUrlForFetch(request: Request, options: ResourceUrlOptions): URL {
  if (options.resourceUrl) return urlOf(options.resourceUrl);
  const url = new URL(request.url);
  const forwardedHost = options.trustForwardedHeaders
    ? first(request.headers.get('x-forwarded-host') ?? undefined)
    : undefined;
  const forwardedProto = options.trustForwardedHeaders
    ? first(request.headers.get('x-forwarded-proto') ?? undefined)
    : undefined;
  const proto =
    forwardedProto === 'https' || forwardedProto === 'http' ? forwardedProto : url.protocol.slice(0, -1);
  const host = forwardedHost && HOST_PATTERN.test(forwardedHost) ? forwardedHost : url.host;
  return urlOf(`${proto}://${host}${options.mcpPath ?? '/mcp'}`);
}
