// Fetching a Client ID Metadata Document with SSRF guards and one overall deadline: the façade
// (oauth-proxy) and the emulated Entra ID (testing) fetch documents through this one function.
import { lookup as dnsLookup } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { isLoopbackHost } from '../config/urls.js';
import { AuthCoreError } from '../errors.js';
import { isLoopbackAddress, isNonPublicAddress } from './addressGuard.js';

export interface MetadataFetchOptions {
  /** Dev mode: loopback addresses (and http on loopback) are allowed; private ones still are not. */
  readonly allowLoopback?: boolean;
  /** The whole fetch (resolution, connection, every byte) ends within this; default 5 s. */
  readonly timeoutMs?: number;
  readonly maxBytes?: number;
  /** Certificate authorities to trust besides Node's (a dev CA for loopback https documents). */
  readonly ca?: string | readonly string[];
}

const refuse = (message: string) => new AuthCoreError('metadata_document_invalid', message);

/** The URL of a metadata document, checked before anything is resolved or fetched. */
function documentUrl(clientId: string, allowLoopback: boolean): URL {
  let url: URL;
  try {
    url = new URL(clientId);
  } catch {
    throw refuse('client_id is not a URL');
  }
  if (
    url.protocol !== 'https:' &&
    !(allowLoopback && url.protocol === 'http:' && isLoopbackHost(url.hostname))
  ) {
    throw refuse('a client_id URL must be https');
  }
  if (
    url.pathname === '/' ||
    url.hash ||
    url.username ||
    url.password ||
    /\/\.\.?(\/|$)/.test(url.pathname)
  ) {
    throw refuse('a client_id URL needs a path, and no fragment, credentials or dot segments');
  }
  return url;
}

/**
 * Fetches a Client ID Metadata Document: https only (http only to loopback in dev mode), the host
 * resolved once and every address checked (no private, loopback or link-local address, IPv4
 * embedded in IPv6 included; the connection goes to the checked address, so DNS cannot change its
 * answer in between), no redirects, at most `maxBytes` (default 5 KiB), and one overall deadline
 * (`timeoutMs`, default 5 s) that ends the fetch however slowly the bytes drip. Answers the
 * document and how long it may be cached (its Cache-Control max-age, 1 minute to 1 day).
 */
export function fetchMetadataDocument(
  clientId: string,
  options: MetadataFetchOptions = {},
): Promise<{ document: unknown; maxAgeSeconds: number }> {
  const maxBytes = options.maxBytes ?? 5 * 1024;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const allowLoopback = options.allowLoopback === true;
  let url: URL;
  try {
    url = documentUrl(clientId, allowLoopback);
  } catch (error) {
    return Promise.reject(error);
  }
  const allowed = (address: string) =>
    !isNonPublicAddress(address) || (allowLoopback && isLoopbackAddress(address));
  const literal = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(literal) !== 0 && !allowed(literal)) {
    return Promise.reject(refuse('the client_id host is an address that is not public'));
  }
  const guardedLookup: LookupFunction = (hostname, lookupOptions, callback) => {
    dnsLookup(hostname, { ...lookupOptions, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const list = addresses as unknown as Array<{ address: string; family: number }>;
      if (list.length === 0 || list.some((a) => !allowed(a.address))) {
        const refusal = refuse(`the client_id host ${hostname} resolves to an address that is not public`);
        return callback(refusal as unknown as NodeJS.ErrnoException, '', 0);
      }
      if ((lookupOptions as { all?: boolean }).all) {
        return (callback as unknown as (e: null, a: typeof list) => void)(null, list);
      }
      return callback(null, list[0]!.address, list[0]!.family);
    });
  };
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (error: Error | undefined, value?: { document: unknown; maxAgeSeconds: number }) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      if (error) {
        req.destroy();
        reject(error);
      } else resolve(value!);
    };
    const send = url.protocol === 'https:' ? request : httpRequest;
    const req = send(
      url,
      {
        method: 'GET',
        headers: { accept: 'application/json' },
        lookup: guardedLookup,
        timeout: timeoutMs,
        ...(options.ca ? { ca: options.ca as string | string[] } : {}),
      },
      (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 300 && status < 400) {
          return settle(refuse('the client metadata document redirects; redirects are not followed'));
        }
        if (status !== 200) return settle(refuse(`the client metadata document answered HTTP ${status}`));
        const tooLarge = () => refuse(`the client metadata document is larger than ${maxBytes} bytes`);
        if (Number(res.headers['content-length'] ?? 0) > maxBytes) return settle(tooLarge());
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) return settle(tooLarge());
          chunks.push(chunk);
        });
        res.on('end', () => {
          let document: unknown;
          try {
            document = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            return settle(refuse('the client metadata document is not JSON'));
          }
          const cacheControl = String(res.headers['cache-control'] ?? '');
          const noStore = /no-store|no-cache/.test(cacheControl);
          const maxAge = Number(/max-age=(\d+)/.exec(cacheControl)?.[1] ?? 3600);
          settle(undefined, {
            document,
            maxAgeSeconds: noStore ? 60 : Math.min(86_400, Math.max(60, maxAge)),
          });
        });
        res.on('error', () => settle(refuse('the client metadata document could not be read')));
      },
    );
    const late = () => refuse(`the client metadata document did not arrive within ${timeoutMs} ms`);
    const deadline = setTimeout(() => settle(late()), timeoutMs);
    req.on('timeout', () => settle(late()));
    req.on('error', (error) =>
      settle(
        error instanceof AuthCoreError
          ? error
          : refuse(
              `the client metadata document could not be fetched (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
            ),
      ),
    );
    req.end();
  });
}
