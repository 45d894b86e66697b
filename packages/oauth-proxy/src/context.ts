// What every endpoint handler is given: the façade's configuration and its models.
import type { BlockList } from 'node:net';
import type { Logger } from '@mcp-auth-kit/auth-core';
import type { AccessTokens } from './models/AccessTokens.js';
import type { Authorizations } from './models/Authorizations.js';
import type { Clients } from './models/Clients.js';
import type { Grants } from './models/Grants.js';
import type { Limits } from './policies/Limits.js';
import type { Upstream } from './upstream.js';

export interface FacadeContext {
  readonly issuer: string;
  readonly resource: string;
  /** The scopes clients may ask for, as short names (`mcp.tools`). */
  readonly scopes: readonly string[];
  readonly callbackUrl: string;
  readonly trustedProxies: BlockList | undefined;
  readonly clients: Clients;
  readonly authorizations: Authorizations;
  readonly grants: Grants;
  readonly tokens: AccessTokens;
  readonly upstream: Upstream;
  readonly limits: Limits;
  readonly logger: Logger;
}

/** One request as a handler sees it: the Request, its URL, and the client's rate-limit key. */
export interface FacadeRequest {
  readonly request: Request;
  readonly url: URL;
  /** The client's address bucket (IPv4 address, or IPv6 /64), after trusted proxies. */
  readonly address: string;
}

export type Handler = (ctx: FacadeContext, req: FacadeRequest) => Promise<Response>;

/** A scope as clients see it: `{resource}/{scope}`. */
export function qualify(ctx: Pick<FacadeContext, 'resource'>, scope: string): string {
  return `${ctx.resource.replace(/\/$/, '')}/${scope}`;
}

/** Whether a `resource` parameter (RFC 8707) names this server's resource; absent is fine. */
export function isOwnResource(ctx: Pick<FacadeContext, 'resource'>, resource: string | null): boolean {
  return resource === null || resource === ctx.resource || resource === ctx.resource.replace(/\/$/, '');
}

/** The client's redirect URI with the answer's parameters and `iss` (RFC 9207). */
export function backTo(
  ctx: Pick<FacadeContext, 'issuer'>,
  redirectUri: string,
  params: Record<string, string | undefined>,
): string {
  const url = new URL(redirectUri);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  url.searchParams.set('iss', ctx.issuer);
  return url.href;
}
