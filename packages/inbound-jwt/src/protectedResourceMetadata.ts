import type { IncomingMessage, ServerResponse } from 'node:http';
import { type AzureAdConfig, ConfigError } from '@mcp-auth-kit/auth-core';
import {
  metadataUrlFor,
  type ResourceUrlOptions,
  resourceUrlFor,
  resourceUrlForFetch,
} from './requestUrls.js';

/** RFC 9728 protected-resource metadata. */
export interface ProtectedResourceMetadata {
  readonly resource: string;
  readonly authorization_servers: string[];
  readonly scopes_supported: string[];
  readonly bearer_methods_supported: string[];
  readonly resource_name?: string;
}

export interface ProtectedResourceMetadataOptions extends ResourceUrlOptions {
  readonly azureAd: AzureAdConfig;
  /** Scopes a client should ask for; default `{resource}/{scope}` for each required scope, else `{resource}/.default`. */
  readonly scopesSupported?: readonly string[];
  readonly resourceName?: string;
  /** The authorization servers to name; default Entra ID's v2 authority (an authorization-server façade names itself). */
  readonly authorizationServers?: readonly string[];
}

const METADATA_HEADERS = {
  'content-type': 'application/json',
  'cache-control': 'public, max-age=3600',
  'access-control-allow-origin': '*',
};

/**
 * The scopes a client should ask for, derived from the resource URL itself: `{resource}/{scope}`
 * for each required scope, else `{resource}/.default`. Entra ID refuses a sign-in whose `resource`
 * is not the Application ID URI prefixing its scopes (AADSTS9010010); MCP clients send the
 * metadata's `resource`, so deriving both from one URL keeps them coherent by construction (the
 * app registration's Application ID URI must be that URL).
 */
export function scopesForResource(resource: URL, azureAd: AzureAdConfig): string[] {
  const prefix = resource.href.replace(/\/$/, '');
  if (azureAd.requiredScopes.length === 0) return [`${prefix}/.default`];
  return azureAd.requiredScopes.map((s) => (s.includes('://') ? s : `${prefix}/${s}`));
}

/** The metadata document for `resource`: Entra ID's v2 authority as authorization server. */
export function protectedResourceMetadata(
  resource: URL,
  options: Omit<ProtectedResourceMetadataOptions, keyof ResourceUrlOptions>,
): ProtectedResourceMetadata {
  const tenant = options.azureAd.tenantId;
  return {
    resource: resource.href,
    authorization_servers: [
      ...(options.authorizationServers ?? [`${options.azureAd.instance}${tenant}/v2.0`]),
    ],
    scopes_supported: [...(options.scopesSupported ?? scopesForResource(resource, options.azureAd))],
    bearer_methods_supported: ['header'],
    ...(options.resourceName ? { resource_name: options.resourceName } : {}),
  };
}

/**
 * Serves the metadata at `/.well-known/oauth-protected-resource` and its path-suffixed form for the
 * MCP endpoint; returns false (and writes nothing) for any other request.
 */
export function createProtectedResourceMetadataHandler(
  options: ProtectedResourceMetadataOptions,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  checkCoherence(options);
  return (req, res) => {
    // every request passes here: the common answer costs no allocation
    if (!req.url?.startsWith('/.well-known/oauth-protected-resource')) return false;
    const path = req.url.split('?')[0]!;
    const resource = resourceUrlFor(req, options);
    const suffixed = new URL(metadataUrlFor(resource)).pathname;
    if (path !== '/.well-known/oauth-protected-resource' && path !== suffixed) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' });
      res.end();
      return true;
    }
    const body = JSON.stringify(protectedResourceMetadata(resource, options));
    res.writeHead(200, METADATA_HEADERS);
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  };
}

/**
 * The same metadata for fetch-style hosts: a `Response` for the metadata paths, `undefined` for any
 * other request (pass it on).
 *
 * @example
 * const metadata = createProtectedResourceMetadataFetchHandler({ azureAd });
 * export default { fetch: (request) => metadata(request) ?? serveMcp(request) };
 */
export function createProtectedResourceMetadataFetchHandler(
  options: ProtectedResourceMetadataOptions,
): (request: Request) => Response | undefined {
  checkCoherence(options);
  return (request) => {
    const path = new URL(request.url).pathname;
    if (!path.startsWith('/.well-known/oauth-protected-resource')) return undefined;
    const resource = resourceUrlForFetch(request, options);
    const suffixed = new URL(metadataUrlFor(resource)).pathname;
    if (path !== '/.well-known/oauth-protected-resource' && path !== suffixed) return undefined;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return new Response(null, { status: 405, headers: { allow: 'GET, HEAD' } });
    }
    const body = JSON.stringify(protectedResourceMetadata(resource, options));
    return new Response(request.method === 'HEAD' ? null : body, { status: 200, headers: METADATA_HEADERS });
  };
}

/**
 * Refuses, at construction, metadata that cannot be coherent: configured scopes that do not start
 * with the configured resource URL would send MCP clients into Entra's AADSTS9010010.
 */
function checkCoherence(options: ProtectedResourceMetadataOptions): void {
  if (!options.resourceUrl || !options.scopesSupported) return;
  const prefix = `${new URL(options.resourceUrl).href.replace(/\/$/, '')}/`;
  const stray = options.scopesSupported.filter((s) => !s.startsWith(prefix));
  if (stray.length === 0) return;
  throw new ConfigError('config_invalid', [
    {
      path: 'scopesSupported',
      message: `${stray.join(', ')} ${stray.length === 1 ? 'does' : 'do'} not start with the resource URL ${prefix}: MCP clients send the resource with these scopes and Entra ID refuses the pair (AADSTS9010010). Set the app registration's Application ID URI to ${prefix.slice(0, -1)} and expose the scopes under it, or drop scopesSupported to derive them from the resource.`,
    },
  ]);
}
