// The stateless Entra front: an authorization server on the MCP server's origin that hands MCP
// clients to Entra ID with its quirks absorbed. Entra ID issues the tokens, end to end; nothing
// is stored. Opt-in, and dev mode's default.
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  createDefaultLogger,
  type IInboundAuthSetup,
  isLoopbackHost,
  type Logger,
} from '@mcp-auth-kit/auth-core';
import { OAuthProxyConfigError } from './errors.js';
import {
  type FrontContext,
  frontAuthorize,
  frontMetadata,
  frontRegister,
  frontToken,
} from './front/handlers.js';
import { handleNode } from './http/node.js';
import { json } from './http/responses.js';
import { clientAddress, rateKey, trustedProxyList } from './policies/clientAddress.js';
import { Limits, type RateLimitOptions } from './policies/Limits.js';
import { errorResponse, isFacadePath, METADATA_PATH } from './router.js';

export interface EntraFrontOptions {
  /** This server's origin, e.g. `https://mcp.contoso.com`: the issuer clients discover. */
  readonly issuer: string;
  /** The MCP URL: what clients name as `resource` (from the protected-resource metadata). */
  readonly resource: string;
  /** `azureAd.instance`, e.g. `https://login.microsoftonline.com/`. */
  readonly instance: string;
  readonly tenantId: string;
  /** The API's Application ID URI; default `resource` (Microsoft's guidance for MCP servers). */
  readonly applicationIdUri?: string;
  /** The API's scopes (short names) a client gets when it asks for none; default `['mcp.tools']`. */
  readonly scopes?: readonly string[];
  /**
   * The server's pre-registered public client (an Entra app registration with "Allow public client
   * flows" and these redirect URIs): clients that register themselves are given its id when every
   * redirect URI they ask for is one of these (loopback ones on any port). Without it there is no
   * registration endpoint and clients need a client id configured.
   */
  readonly publicClient?: { readonly clientId: string; readonly redirectUris: readonly string[] };
  /**
   * The tenant has Entra ID's Client ID Metadata Documents (preview): the metadata advertises
   * `client_id_metadata_document_supported`, so a client with a document sends its https URL as
   * `client_id`, passed to Entra ID untouched (Entra fetches and validates the document and signs
   * the client in as an agent identity). Default false: Entra ID would refuse such a client_id.
   */
  readonly clientIdMetadataDocuments?: boolean;
  /** Proxies in front of this server (addresses or CIDR ranges), as for `OAuthProxy`. */
  readonly trustedProxies?: readonly string[];
  readonly rateLimits?: RateLimitOptions;
  /** Deadline of a token request relayed to Entra ID; default 10000. */
  readonly timeoutMs?: number;
  readonly logger?: Logger;
}

/** Mount through `createMcpAuth(config, { authorizationServer: new EntraFront(…) })`. */
export class EntraFront {
  readonly issuer: string;
  readonly #ctx: FrontContext;
  readonly #trusted: ReturnType<typeof trustedProxyList>;

  constructor(options: EntraFrontOptions) {
    const issuer = new URL(options.issuer);
    if (issuer.protocol !== 'https:' && !isLoopbackHost(issuer.hostname)) {
      throw new OAuthProxyConfigError('EntraFront: the issuer must be https (http only on a loopback host)');
    }
    if (issuer.pathname !== '/' || issuer.search) {
      throw new OAuthProxyConfigError('EntraFront: the issuer is the server origin, with no path');
    }
    this.issuer = issuer.origin;
    const endpoints = `${options.instance.replace(/\/?$/, '/')}${options.tenantId}/oauth2/v2.0`;
    this.#trusted = trustedProxyList(options.trustedProxies);
    const applicationIdUri = options.applicationIdUri ?? options.resource;
    const scopes = options.scopes ?? ['mcp.tools'];
    const api = applicationIdUri.replace(/\/$/, '');
    this.#ctx = {
      issuer: this.issuer,
      resource: new URL(options.resource).href,
      applicationIdUri,
      scopes,
      apiScopes: scopes.map((s) => `${api}/${s}`),
      grantedScope: `${api}/.default`,
      authorizeUrl: `${endpoints}/authorize`,
      tokenUrl: `${endpoints}/token`,
      publicClient: options.publicClient,
      clientIdMetadataDocuments: options.clientIdMetadataDocuments === true,
      limits: new Limits(options.rateLimits),
      logger: options.logger ?? createDefaultLogger(),
      timeoutMs: options.timeoutMs ?? 10_000,
    };
  }

  /** RFC 8414 metadata of the front. */
  metadata(): Record<string, unknown> {
    return frontMetadata(this.#ctx);
  }

  /** Serves the front's paths (node:http); false, and nothing written, for any other path. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    return handleNode(
      req,
      res,
      (request, peer) => this.#serve(request, peer),
      this.#ctx.logger,
      'Entra front',
    );
  }

  /** The same for fetch-style hosts; undefined for any other path. */
  async fetch(request: Request, remoteAddress?: string): Promise<Response | undefined> {
    if (!isFacadePath(new URL(request.url).pathname)) return undefined;
    return this.#serve(request, remoteAddress);
  }

  /** Entra ID's tokens are the only tokens: the Entra setup is the inbound authentication. */
  inbound(entra?: IInboundAuthSetup): IInboundAuthSetup {
    if (!entra) {
      throw new OAuthProxyConfigError(
        'EntraFront: clients get Entra ID tokens, so acceptEntraTokens cannot be false',
      );
    }
    return entra;
  }

  /** On-Behalf-Of uses the caller's own Entra token: nothing to add. */
  async assertionFor(): Promise<string | undefined> {
    return undefined;
  }

  async #serve(request: Request, peer: string | undefined): Promise<Response> {
    const url = new URL(request.url);
    const address = rateKey(clientAddress(peer, request.headers, this.#trusted));
    const route = `${request.method} ${url.pathname}`;
    try {
      if (route === `GET ${METADATA_PATH}`) {
        return json(200, this.metadata(), {
          'cache-control': 'public, max-age=3600',
          'access-control-allow-origin': '*',
        });
      }
      if (route === 'GET /oauth/authorize') return frontAuthorize(this.#ctx, url, address);
      if (route === 'POST /oauth/token') return await frontToken(this.#ctx, request, address);
      if (route === 'POST /oauth/register' && this.#ctx.publicClient)
        return await frontRegister(this.#ctx, request, address);
      return json(404, { error: 'invalid_request', error_description: 'not found' });
    } catch (error) {
      return errorResponse(error, url.pathname, this.#ctx.logger);
    }
  }
}
