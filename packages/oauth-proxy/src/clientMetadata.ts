// Client registration: Client ID Metadata Documents (the client_id is an https URL whose document
// the façade fetches, with SSRF guards) and Dynamic Client Registration (RFC 7591). Both yield the
// same client record; redirect URIs are https or loopback http, matched exactly.
import { lookup as dnsLookup } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';

export interface ClientRecord {
  readonly clientId: string;
  readonly clientName: string | undefined;
  readonly redirectUris: readonly string[];
  /** `none` (public client, PKCE only) or `client_secret_post` / `client_secret_basic` (DCR). */
  readonly tokenEndpointAuthMethod: 'none' | 'client_secret_post' | 'client_secret_basic';
  /** SHA-256 of the client secret (DCR confidential clients only). */
  readonly secretHash?: string;
  readonly source: 'cimd' | 'dcr';
}

export class ClientMetadataError extends Error {
  constructor(
    readonly error: 'invalid_client_metadata' | 'invalid_redirect_uri' | 'invalid_client',
    message: string,
  ) {
    super(message);
    this.name = 'ClientMetadataError';
  }
}

const MAX_URIS = 10;
const MAX_URI_LENGTH = 2000;

/** A redirect URI a client may register: https, or http on a loopback host; no fragment. */
export function checkRedirectUri(uri: unknown): string {
  if (typeof uri !== 'string' || uri.length === 0 || uri.length > MAX_URI_LENGTH) {
    throw new ClientMetadataError(
      'invalid_redirect_uri',
      'a redirect URI must be a string of at most 2000 characters',
    );
  }
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new ClientMetadataError('invalid_redirect_uri', `redirect URI ${uri.slice(0, 100)} is not a URL`);
  }
  if (url.hash)
    throw new ClientMetadataError('invalid_redirect_uri', 'a redirect URI must not have a fragment');
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new ClientMetadataError(
      'invalid_redirect_uri',
      `redirect URI ${uri.slice(0, 100)} must be https, or http on a loopback host`,
    );
  }
  return uri;
}

/** The client metadata both registration paths accept (RFC 7591 names). */
export function parseClientMetadata(
  body: unknown,
  source: 'cimd' | 'dcr',
): Omit<ClientRecord, 'clientId' | 'secretHash'> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ClientMetadataError('invalid_client_metadata', 'client metadata must be a JSON object');
  }
  const m = body as Record<string, unknown>;
  if (!Array.isArray(m.redirect_uris) || m.redirect_uris.length === 0 || m.redirect_uris.length > MAX_URIS) {
    throw new ClientMetadataError('invalid_redirect_uri', `redirect_uris must list 1 to ${MAX_URIS} URIs`);
  }
  const redirectUris = m.redirect_uris.map(checkRedirectUri);
  const method = m.token_endpoint_auth_method ?? (source === 'dcr' ? 'client_secret_basic' : 'none');
  const allowed = source === 'cimd' ? ['none'] : ['none', 'client_secret_post', 'client_secret_basic'];
  if (typeof method !== 'string' || !allowed.includes(method)) {
    throw new ClientMetadataError(
      'invalid_client_metadata',
      `token_endpoint_auth_method must be one of ${allowed.join(', ')}`,
    );
  }
  for (const [field, values] of [
    ['grant_types', ['authorization_code', 'refresh_token']],
    ['response_types', ['code']],
  ] as const) {
    const v = m[field];
    if (v === undefined) continue;
    if (!Array.isArray(v) || v.some((x) => !(values as readonly string[]).includes(x as string))) {
      throw new ClientMetadataError('invalid_client_metadata', `${field} may only hold ${values.join(', ')}`);
    }
  }
  const name = m.client_name;
  if (name !== undefined && (typeof name !== 'string' || name.length > 200)) {
    throw new ClientMetadataError(
      'invalid_client_metadata',
      'client_name must be a string of at most 200 characters',
    );
  }
  return {
    clientName: typeof name === 'string' ? name.replace(/\p{Cc}/gu, '') : undefined,
    redirectUris,
    tokenEndpointAuthMethod: method as ClientRecord['tokenEndpointAuthMethod'],
    source,
  };
}

/** Whether a client_id is a Client ID Metadata Document URL (else a DCR-issued id). */
export function isMetadataDocumentUrl(clientId: string): boolean {
  return clientId.startsWith('https://') || clientId.startsWith('http://');
}

const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv6');
}
const loopbackOnly = new BlockList();
loopbackOnly.addSubnet('127.0.0.0', 8, 'ipv4');
loopbackOnly.addAddress('::1', 'ipv6');

/** Whether an address is private, loopback, link-local or otherwise not on the public internet. */
export function isNonPublicAddress(address: string): boolean {
  // an IPv4-mapped IPv6 address is its IPv4 address
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return isNonPublicAddress(mapped[1]!);
  const family = isIP(address);
  if (family === 0) return true;
  return blocked.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

export interface MetadataFetchOptions {
  /** Dev mode: loopback addresses (and http on loopback) are allowed; private ones still are not. */
  readonly allowLoopback?: boolean;
  readonly timeoutMs?: number;
  readonly maxBytes?: number;
}

/**
 * Fetches a Client ID Metadata Document: https only (http only to loopback in dev mode), the host
 * resolved once and every address checked (no private, loopback or link-local address; the
 * connection goes to the checked address, so DNS cannot change its answer in between), no
 * redirects, at most `maxBytes` (default 5 KiB) within `timeoutMs` (default 5 s). Answers the
 * document and how long it may be cached (its Cache-Control max-age, 1 minute to 1 day).
 */
export function fetchClientMetadata(
  clientId: string,
  options: MetadataFetchOptions = {},
): Promise<{ document: unknown; maxAgeSeconds: number }> {
  const maxBytes = options.maxBytes ?? 5 * 1024;
  const timeoutMs = options.timeoutMs ?? 5_000;
  let url: URL;
  try {
    url = new URL(clientId);
  } catch {
    return Promise.reject(new ClientMetadataError('invalid_client', 'client_id is not a URL'));
  }
  const hostIsLoopbackName =
    url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]';
  if (
    url.protocol !== 'https:' &&
    !(options.allowLoopback && url.protocol === 'http:' && hostIsLoopbackName)
  ) {
    return Promise.reject(new ClientMetadataError('invalid_client', 'a client_id URL must be https'));
  }
  if (
    url.pathname === '/' ||
    url.hash ||
    url.username ||
    url.password ||
    /\/\.\.?(\/|$)/.test(url.pathname)
  ) {
    return Promise.reject(
      new ClientMetadataError(
        'invalid_client',
        'a client_id URL needs a path, and no fragment, credentials or dot segments',
      ),
    );
  }
  const allowed = (address: string) =>
    !isNonPublicAddress(address) ||
    (options.allowLoopback === true && loopbackOnly.check(address, isIP(address) === 4 ? 'ipv4' : 'ipv6'));
  const guardedLookup: LookupFunction = (hostname, lookupOptions, callback) => {
    dnsLookup(hostname, { ...lookupOptions, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const list = addresses as unknown as Array<{ address: string; family: number }>;
      const bad = list.find((a) => !allowed(a.address));
      if (bad || list.length === 0) {
        const refusal = new ClientMetadataError(
          'invalid_client',
          `the client_id host ${hostname} resolves to an address that is not public`,
        );
        return callback(refusal as NodeJS.ErrnoException, '', 0);
      }
      if ((lookupOptions as { all?: boolean }).all)
        return (callback as unknown as (e: null, a: typeof list) => void)(null, list);
      return callback(null, list[0]!.address, list[0]!.family);
    });
  };
  return new Promise((resolve, reject) => {
    const literal = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(literal) !== 0 && !allowed(literal)) {
      reject(
        new ClientMetadataError('invalid_client', 'the client_id host is an address that is not public'),
      );
      return;
    }
    const send = url.protocol === 'https:' ? request : httpRequest;
    const req = send(
      url,
      { method: 'GET', headers: { accept: 'application/json' }, lookup: guardedLookup, timeout: timeoutMs },
      (res) => {
        if ((res.statusCode ?? 0) >= 300 && (res.statusCode ?? 0) < 400) {
          res.resume();
          reject(
            new ClientMetadataError(
              'invalid_client',
              'the client metadata document redirects; redirects are not followed',
            ),
          );
          return;
        }
        if (res.statusCode !== 200) {
          res.resume();
          reject(
            new ClientMetadataError(
              'invalid_client',
              `the client metadata document answered HTTP ${res.statusCode}`,
            ),
          );
          return;
        }
        const declared = Number(res.headers['content-length'] ?? 0);
        if (declared > maxBytes) {
          res.destroy();
          reject(
            new ClientMetadataError(
              'invalid_client',
              `the client metadata document is larger than ${maxBytes} bytes`,
            ),
          );
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) {
            res.destroy();
            reject(
              new ClientMetadataError(
                'invalid_client',
                `the client metadata document is larger than ${maxBytes} bytes`,
              ),
            );
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => {
          if (size > maxBytes) return;
          let document: unknown;
          try {
            document = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            reject(new ClientMetadataError('invalid_client', 'the client metadata document is not JSON'));
            return;
          }
          const cacheControl = String(res.headers['cache-control'] ?? '');
          const noStore = /no-store|no-cache/.test(cacheControl);
          const maxAge = Number(/max-age=(\d+)/.exec(cacheControl)?.[1] ?? 3600);
          resolve({ document, maxAgeSeconds: noStore ? 60 : Math.min(86_400, Math.max(60, maxAge)) });
        });
        res.on('error', (error) => reject(error));
      },
    );
    req.on('timeout', () => {
      req.destroy(
        new ClientMetadataError(
          'invalid_client',
          `the client metadata document did not arrive within ${timeoutMs} ms`,
        ),
      );
    });
    req.on('error', (error) =>
      reject(
        error instanceof ClientMetadataError
          ? error
          : new ClientMetadataError(
              'invalid_client',
              `the client metadata document could not be fetched (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
            ),
      ),
    );
    req.end();
  });
}
