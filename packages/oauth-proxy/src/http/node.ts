// The thin node:http adapter: an IncomingMessage becomes a Request (its body streamed, read by the
// handler under the same bound as on fetch-style hosts), a Response is written to the
// ServerResponse. No decision is taken here.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { type Logger, safeErrorMessage } from '@mcp-auth-kit/auth-core';
import { isFacadePath, METADATA_PATH } from '../router.js';
import { json } from './responses.js';

export function toRequest(req: IncomingMessage): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else headers.set(name, value);
  }
  const method = req.method ?? 'GET';
  const body = method === 'GET' || method === 'HEAD' ? undefined : (Readable.toWeb(req) as ReadableStream);
  // the façade builds every absolute URL from its issuer; the request's own host is never used
  return new Request(new URL(req.url ?? '/', 'http://facade.invalid'), {
    method,
    headers,
    ...(body ? { body, duplex: 'half' } : {}),
  } as RequestInit);
}

export async function writeResponse(res: ServerResponse, response: Response): Promise<void> {
  const body = Buffer.from(await response.arrayBuffer());
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  headers['content-length'] = String(body.length);
  res.writeHead(response.status, headers);
  res.end(body);
}

/**
 * The node:http side of an authorization server: false, and nothing written, for a path that is
 * not its own (a string test first: every MCP request passes here); else `serve` answers it.
 */
export function handleNode(
  req: IncomingMessage,
  res: ServerResponse,
  serve: (request: Request, peer: string | undefined) => Promise<Response>,
  logger: Logger,
  label: string,
): boolean {
  const raw = req.url ?? '/';
  if (!raw.startsWith('/oauth/') && !raw.startsWith(METADATA_PATH)) return false;
  const method = req.method ?? 'GET';
  // only GET and POST are served here; a method a Request cannot even carry (TRACE, CONNECT) is
  // answered before one is built
  if (method !== 'GET' && method !== 'POST' && method !== 'HEAD') {
    if (!isFacadePath(new URL(raw, 'http://facade.invalid').pathname)) return false;
    void writeResponse(res, json(405, { error: 'invalid_request', error_description: 'method not allowed' }));
    return true;
  }
  const request = toRequest(req);
  if (!isFacadePath(new URL(request.url).pathname)) return false;
  // a body left unread (a refusal before reading it) is not drained: the connection is closed
  res.on('finish', () => {
    if (!req.complete) req.destroy();
  });
  serve(request, req.socket.remoteAddress)
    .then((response) => writeResponse(res, response))
    .catch((error: unknown) => {
      logger.warn(`${label}: the answer could not be written: ${safeErrorMessage(error)}`);
      res.destroy();
    });
  return true;
}
