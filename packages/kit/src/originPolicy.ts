// The MCP transport's Origin rule (servers MUST validate `Origin` and answer 403 when it is present
// and invalid) and the Host check that stops DNS rebinding against a server bound to loopback: a
// web page on a rebinding domain reaches 127.0.0.1 with its own name in Host and Origin, so on a
// loopback socket only loopback names (or the configured ones) are served.
import type { IncomingMessage } from 'node:http';
import { ConfigError, isLoopbackHost } from '@mcp-auth-kit/auth-core';

export interface OriginPolicyOptions {
  /** This server's public MCP URL: its origin is always allowed, its host always served. */
  readonly resourceUrl?: string;
  /**
   * Browser origins allowed besides the server's own (`https://app.contoso.com`), or `['*']` for
   * any. On a loopback socket loopback origins (any port: the MCP Inspector's web UI) are allowed.
   */
  readonly allowedOrigins?: readonly string[];
  /** Host names served on a loopback socket besides loopback ones (a local alias, say). */
  readonly allowedHosts?: readonly string[];
}

/** What the Origin and Host checks read of a request. */
export interface OriginRequest {
  readonly origin: string | undefined;
  readonly host: string | undefined;
  /** Whether it arrived on a loopback socket. */
  readonly loopback: boolean;
}

export interface OriginRefusal {
  readonly status: 403;
  readonly message: string;
}

const LOOPBACK_ADDRESS = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/;

function hostnameOf(host: string): string | undefined {
  try {
    return new URL(`http://${host}`).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

/** An allowed origin as configured, checked once at start-up. */
function originOf(value: string, index: number): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError('config_invalid', [
      {
        path: `allowedOrigins[${index}]`,
        message: `${value.slice(0, 100)} is not an origin (https://app.contoso.com)`,
      },
    ]);
  }
  return url.origin;
}

/** One check for every adapter: `origin` and `host` as the request carries them; `loopback` whether it arrived on a loopback socket. */
export function createOriginPolicy(options: OriginPolicyOptions) {
  const own = options.resourceUrl ? new URL(options.resourceUrl) : undefined;
  const origins = new Set((options.allowedOrigins ?? []).map((o, i) => (o === '*' ? o : originOf(o, i))));
  const hosts = new Set((options.allowedHosts ?? []).map((h) => h.toLowerCase()));
  if (own) hosts.add(own.hostname.toLowerCase());
  const anyOrigin = origins.has('*');

  return (request: OriginRequest): OriginRefusal | undefined => {
    if (request.loopback) {
      const name = request.host ? hostnameOf(request.host) : undefined;
      if (!name || !(isLoopbackHost(name) || hosts.has(name))) {
        return {
          status: 403,
          message: 'Forbidden: this server answers only to a loopback host name (DNS rebinding)',
        };
      }
    }
    if (request.origin === undefined || anyOrigin) return undefined;
    let origin: URL;
    try {
      origin = new URL(request.origin);
    } catch {
      return { status: 403, message: 'Forbidden: invalid Origin' };
    }
    if (origin.origin === 'null') return { status: 403, message: 'Forbidden: invalid Origin' };
    if (origins.has(origin.origin) || (own && origin.origin === own.origin)) return undefined;
    if (request.loopback && isLoopbackHost(origin.hostname)) return undefined;
    return { status: 403, message: `Forbidden: Origin ${origin.origin.slice(0, 100)} is not allowed` };
  };
}

/** The Origin, Host and socket of a node:http request, for the policy. */
export function nodeOriginRequest(req: IncomingMessage): OriginRequest {
  const origin = req.headers.origin;
  return {
    origin: Array.isArray(origin) ? origin[0] : origin,
    host: req.headers.host,
    loopback: LOOPBACK_ADDRESS.test(req.socket?.localAddress ?? ''),
  };
}

/**
 * The same for a web-standard Request: loopback when the host passes the socket's local address
 * (`localAddress`) and it is a loopback one, or, without it, when the request names a loopback host.
 */
export function fetchOriginRequest(request: Request, localAddress: string | undefined): OriginRequest {
  const url = new URL(request.url);
  return {
    origin: request.headers.get('origin') ?? undefined,
    host: request.headers.get('host') ?? url.host,
    loopback: localAddress !== undefined ? LOOPBACK_ADDRESS.test(localAddress) : isLoopbackHost(url.hostname),
  };
}
