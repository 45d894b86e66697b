// The kit's public shapes: options, the façade contract, and what createMcpAuth returns.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type {
  AnyServerConfig,
  AuthContextAccessor,
  IInboundAuthSetup,
  ITokenCredentialProvider,
  Logger,
  McpAuthInfo,
  RequestAuthContext,
} from '@mcp-auth-kit/auth-core';
import type {
  AllowedClient,
  InboundSetupFactory,
  JwtBearerInboundSetupOptions,
  NodeMiddleware,
  ToolPolicy,
} from '@mcp-auth-kit/inbound-jwt';
import type {
  CredentialProviderFactory,
  CredentialProviderFactoryOptions,
} from '@mcp-auth-kit/outbound-credentials';

export interface McpAuthOptions {
  /** This server's public MCP URL (e.g. `https://mcp.contoso.com/mcp`); derived from each request when absent. */
  readonly resourceUrl?: string;
  /** Use `X-Forwarded-Host` / `-Proto` for URLs derived from requests (only behind an ingress that sets them). */
  readonly trustForwardedHeaders?: boolean;
  /** Per-tool scopes or roles (403 `insufficient_scope` naming them otherwise). */
  readonly toolPolicy?: ToolPolicy;
  /** Where the kit reports (start-up warnings, outages, unexpected errors); never a token or secret. */
  readonly logger?: Logger;
  /** The request auth context accessor; default `defaultAuthContextAccessor`. */
  readonly accessor?: AuthContextAccessor;
  /**
   * Run the tool policy and handlers inside the accessor (AsyncLocalStorage), on every adapter
   * (`node()`, `express()`, `fetch()`); default false: the caller travels as `req.auth` / `authInfo`.
   */
  readonly propagateContext?: boolean;
  /** Options of the JwtBearerScheme setup (signing-key cache, verified-token cache, lifetimes). */
  readonly inbound?: JwtBearerInboundSetupOptions;
  /** Options of the outbound providers (msal log level, caches, a shared token store). */
  readonly outbound?: CredentialProviderFactoryOptions;
  /** Factories with types you registered (`factory.register('MyType', …)`); default the built-in ones. */
  readonly inboundFactory?: InboundSetupFactory;
  readonly credentialProviderFactory?: CredentialProviderFactory;
  /**
   * An authorization-server façade in front of Entra ID (`@mcp-auth-kit/oauth-proxy`): its paths
   * are served, the metadata names it as the authorization server, its tokens are accepted, and
   * On-Behalf-Of uses the user's stored upstream token for them.
   */
  readonly authorizationServer?: AuthorizationServerFacade;
  /** With `authorizationServer`: also accept Entra ID tokens issued for this API (default true). */
  readonly acceptEntraTokens?: boolean;
  /**
   * Browser origins allowed to call the MCP endpoint besides the server's own (`resourceUrl`) and,
   * on a loopback socket, loopback ones; `['*']` for any. A request with any other `Origin` is
   * answered 403 (the MCP transport's MUST). Requests without `Origin` (non-browser clients) pass.
   */
  readonly allowedOrigins?: readonly string[];
  /** Host names served on a loopback socket besides loopback names (DNS rebinding protection). */
  readonly allowedHosts?: readonly string[];
  /**
   * The client applications admitted (Entra ID tokens), by app id, each optionally with the
   * Client ID Metadata Document URL of the client it is the agent identity of: any other client is
   * answered 403 with the reason. Default: every client the tenant admitted.
   */
  readonly allowedClients?: readonly AllowedClient[];
}

/** What the kit needs of an authorization-server façade (`OAuthProxy` is one). */
export interface AuthorizationServerFacade {
  readonly issuer: string;
  /** Serves the façade's own paths; false for any other path. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** The same for fetch-style hosts: a Response for its paths, undefined for any other; `remoteAddress` keys its rate limits. */
  fetch?(request: Request, remoteAddress?: string): Promise<Response | undefined>;
  /** Checked once when the kit is created (a store that could lose sign-ins fails here). */
  ready?(): Promise<void>;
  /** Inbound authentication for its tokens, falling back to `entra` for Entra ID tokens when given. */
  inbound(entra?: IInboundAuthSetup): IInboundAuthSetup;
  /** The On-Behalf-Of assertion for a caller holding one of its tokens; undefined for others. */
  assertionFor(caller: RequestAuthContext): Promise<string | undefined>;
}

/**
 * What a fetch-style host may pass beside the Request: `remoteAddress`, the client's address. Any
 * other object (a framework's own second argument) is accepted and ignored.
 */
export type FetchRequestInfo = { readonly remoteAddress?: string; readonly localAddress?: string } | object;

/** A request that passed authentication (`auth`, the MCP SDK's AuthInfo) and the tool policy (`body` when it read it). */
export type AuthenticatedRequest = IncomingMessage & { auth?: McpAuthInfo; body?: unknown };

/** The composed server side of a configuration: every adapter over the same inbound setup and policy. */
export interface McpAuth {
  readonly config: AnyServerConfig;
  readonly inbound: IInboundAuthSetup;
  /** The outbound identity for tools (`createPostgresTools({ credentialProvider })`, Azure SDK clients). */
  readonly credentialProvider: ITokenCredentialProvider;
  /**
   * A node:http request listener: serves the protected-resource metadata, authenticates, applies
   * the tool policy, then runs `handler` (awaited; a throw is logged once and answered 500).
   */
  node(
    handler: (req: AuthenticatedRequest, res: ServerResponse) => unknown,
  ): (req: IncomingMessage, res: ServerResponse) => void;
  /** The same as one Express (or Connect) middleware: refusals are answered, accepted requests go on with `req.auth`. */
  express(): NodeMiddleware;
  /** Serves the protected-resource metadata (node:http); false, and nothing written, for other paths. */
  metadata(req: IncomingMessage, res: ServerResponse): boolean;
  /**
   * The same for fetch-style hosts: metadata, authentication and policy, then `handler` with the
   * caller's AuthInfo (`undefined` for inbound None). Pass the client's address as `remoteAddress`
   * (Hono on Node: `c.env.incoming.socket.remoteAddress`; Bun: `server.requestIP(request)?.address`)
   * so the façade's rate limits count per client, not per server.
   */
  fetch(
    handler: (request: Request, authInfo: McpAuthInfo | undefined) => Promise<Response> | Response,
  ): (request: Request, info?: FetchRequestInfo) => Promise<Response>;
  /**
   * Whether this server can serve now: the inbound signing keys and the outbound credential are
   * usable. Each failed check carries its reason (a URL and a cause; never a secret or token). For
   * a `/ready` probe: 200 when `ready`, else 503.
   */
  readiness(): Promise<Readiness>;
  /** Releases signing-key refreshes, token caches and sockets. */
  close(): Promise<void>;
}

export interface Readiness {
  readonly ready: boolean;
  readonly checks: ReadonlyArray<{
    readonly name: 'signing keys' | 'outbound credential';
    readonly ok: boolean;
    readonly reason?: string;
  }>;
}
