import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type AnyServerConfig,
  type AuthContextAccessor,
  createDefaultLogger,
  defaultAuthContextAccessor,
  type IInboundAuthSetup,
  type ITokenCredentialProvider,
  type McpAuthInfo,
  type RequestAuthContext,
  resolveCaller,
  safeErrorMessage,
} from '@mcp-auth-kit/auth-core';
import {
  answerClaimsChallenges,
  claimsChallengeResponse,
  createAuthMiddleware,
  createFetchAuth,
  createInboundSetupFactory,
  createProtectedResourceMetadataFetchHandler,
  createProtectedResourceMetadataHandler,
  createToolPolicyFetchCheck,
  createToolPolicyMiddleware,
  type InboundSetupFactory,
  type JwtBearerInboundSetupOptions,
  type NodeMiddleware,
  type ToolPolicy,
} from '@mcp-auth-kit/inbound-jwt';
import {
  type CredentialProviderFactory,
  type CredentialProviderFactoryOptions,
  createCredentialProviderFactory,
  type OutboundLogger,
} from '@mcp-auth-kit/outbound-credentials';

export interface McpAuthOptions {
  /** This server's public MCP URL (e.g. `https://mcp.contoso.com/mcp`); derived from each request when absent. */
  readonly resourceUrl?: string;
  /** Use `X-Forwarded-Host` / `-Proto` for URLs derived from requests (only behind an ingress that sets them). */
  readonly trustForwardedHeaders?: boolean;
  /** Per-tool scopes or roles (403 `insufficient_scope` naming them otherwise). */
  readonly toolPolicy?: ToolPolicy;
  /** Where the kit reports (start-up warnings, outages, unexpected errors); never a token or secret. */
  readonly logger?: OutboundLogger;
  /** The request auth context accessor; default `defaultAuthContextAccessor`. */
  readonly accessor?: AuthContextAccessor;
  /** Run handlers inside the accessor (AsyncLocalStorage); default false: the caller travels as `req.auth` / `authInfo`. */
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
  assertionFor(caller: import('@mcp-auth-kit/auth-core').RequestAuthContext): Promise<string | undefined>;
}

/**
 * What a fetch-style host may pass beside the Request: `remoteAddress`, the client's address. Any
 * other object (a framework's own second argument) is accepted and ignored.
 */
export type FetchRequestInfo = { readonly remoteAddress?: string } | object;

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

const READINESS_TIMEOUT_MS = 5_000;

async function check(name: Readiness['checks'][number]['name'], probe: (() => Promise<void>) | undefined) {
  if (!probe) return { name, ok: true };
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${READINESS_TIMEOUT_MS} ms`)),
          READINESS_TIMEOUT_MS,
        );
      }),
    ]);
    return { name, ok: true };
  } catch (error) {
    return {
      name,
      ok: false,
      reason: safeErrorMessage(error)
        .replace(/^\w*Error: /, '')
        .slice(0, 500),
    };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * One call from a validated configuration to everything the server side needs: the inbound setup
 * and credential provider its `type`s name, and the node:http, Express and web-standard handlers
 * with metadata and tool policy.
 *
 * @example
 * const auth = await createMcpAuth(await loadServerConfigFile('appsettings.json'));
 * createServer(auth.node((req, res) => mcp(req, res, req.body))).listen(3000);
 */
export async function createMcpAuth(config: AnyServerConfig, options: McpAuthOptions = {}): Promise<McpAuth> {
  const logger = options.logger ?? createDefaultLogger();
  const accessor = options.accessor ?? defaultAuthContextAccessor;
  const urls = {
    ...(options.resourceUrl ? { resourceUrl: options.resourceUrl } : {}),
    trustForwardedHeaders: options.trustForwardedHeaders ?? false,
  };
  const facade = options.authorizationServer;
  // a façade whose store could lose sign-ins (Redis that evicts) fails at start-up, not later
  await facade?.ready?.();
  const entraInbound = (options.inboundFactory ?? createInboundSetupFactory()).create(
    config.inboundAuthentication,
    {
      // On-Behalf-Of needs a user: app-only callers are refused at the door unless the
      // configuration serves them with the host's identity
      ...(config.outboundAuthentication.type === 'JwtObo' &&
      (config.outboundAuthentication as { appOnlyCallers?: string }).appOnlyCallers !== 'ManagedIdentity'
        ? { appOnlyCallers: 'refuse' as const }
        : {}),
      ...options.inbound,
      accessor,
      logger,
      ...urls,
    },
  );
  const inbound = facade
    ? facade.inbound(options.acceptEntraTokens === false ? undefined : entraInbound)
    : entraInbound;
  const credentialProvider = (options.credentialProviderFactory ?? createCredentialProviderFactory()).create(
    config,
    {
      accessor,
      logger,
      ...(facade ? { assertionFor: (caller: RequestAuthContext) => facade.assertionFor(caller) } : {}),
      ...options.outbound,
    },
  );
  // A Key Vault that is down at start-up must not keep the server down: outbound calls fail with a
  // clear, retryable error until the credential can be loaded, then work without a restart.
  await credentialProvider.ready?.().catch((error: unknown) => {
    logger.warn(`${credentialProvider.type} is not ready yet: ${safeErrorMessage(error)}; calls will retry`);
  });

  const azureAd = config.inboundAuthentication.azureAd;
  const servers = facade ? { authorizationServers: [facade.issuer] } : {};
  const prm = azureAd
    ? createProtectedResourceMetadataHandler({ azureAd, ...urls, ...servers })
    : () => false;
  // the façade's own paths (authorization server metadata, authorize, token, …) come first
  const nodeMetadata = facade
    ? (req: IncomingMessage, res: ServerResponse) => facade.handle(req, res) || prm(req, res)
    : prm;
  const fetchMetadata = azureAd
    ? createProtectedResourceMetadataFetchHandler({ azureAd, ...urls, ...servers })
    : () => undefined;
  const authenticate = createAuthMiddleware(inbound, {
    ...urls,
    accessor,
    logger,
    propagateContext: options.propagateContext ?? false,
  });
  const policy = createToolPolicyMiddleware(options.toolPolicy ?? {}, { ...urls, accessor });
  const gate = createFetchAuth(inbound, urls);
  const fetchPolicy = createToolPolicyFetchCheck(options.toolPolicy ?? {}, urls);

  // Conditional Access: an On-Behalf-Of refused with a claims challenge becomes 401
  // insufficient_claims while the response is still open (Microsoft.Identity.Web does the same)
  const claimsOptions = azureAd
    ? { ...urls, authorizationUri: `${azureAd.instance}${azureAd.tenantId}/oauth2/v2.0/authorize` }
    : undefined;
  const callerOf = (auth: McpAuthInfo | undefined) => (auth ? resolveCaller({ authInfo: auth }) : undefined);

  /** An unexpected failure of the author's handler: logged once (name and message, no token), answered 500. */
  const failed = (error: unknown) =>
    logger.warn(`MCP handler failed unexpectedly: ${safeErrorMessage(error)}`);

  const express = (): NodeMiddleware => (req, res, next) => {
    if (nodeMetadata(req, res)) return;
    authenticate(req, res, () =>
      policy(req, res, (error?: unknown) => {
        if (error) {
          failed(error);
          if (!res.headersSent) sendJson(res, 400, { error: 'invalid_request' });
          return;
        }
        next();
      }),
    );
  };

  return {
    config,
    inbound,
    credentialProvider,
    express,
    metadata: nodeMetadata,
    node(handler) {
      const middleware = express();
      return (req, res) =>
        middleware(req, res, () => {
          if (claimsOptions) {
            answerClaimsChallenges(req, res, callerOf((req as AuthenticatedRequest).auth), claimsOptions);
          }
          Promise.resolve()
            .then(() => handler(req as AuthenticatedRequest, res))
            .catch((error: unknown) => {
              failed(error);
              if (!res.headersSent) sendJson(res, 500, { error: 'internal_error' });
              else res.destroy();
            });
        });
    },
    fetch(handler) {
      return async (request, info) => {
        const remoteAddress = (info as { remoteAddress?: unknown } | undefined)?.remoteAddress;
        const own = await facade?.fetch?.(
          request,
          typeof remoteAddress === 'string' ? remoteAddress : undefined,
        );
        if (own) return own;
        const metadata = fetchMetadata(request);
        if (metadata) return metadata;
        const auth = await gate(request);
        if (auth instanceof Response) return auth;
        const refused = await fetchPolicy(request, auth);
        if (refused) return refused;
        try {
          const response = await handler(request, auth);
          return claimsOptions
            ? claimsChallengeResponse(request, response, callerOf(auth), claimsOptions)
            : response;
        } catch (error) {
          failed(error);
          return Response.json({ error: 'internal_error' }, { status: 500 });
        }
      };
    },
    async readiness() {
      const checks = await Promise.all([
        check('signing keys', inbound.ready ? () => inbound.ready!() : undefined),
        check(
          'outbound credential',
          credentialProvider.probe
            ? () => credentialProvider.probe!()
            : credentialProvider.ready
              ? () => credentialProvider.ready!()
              : undefined,
        ),
      ]);
      return { ready: checks.every((c) => c.ok), checks };
    },
    async close() {
      await credentialProvider.close?.();
      await inbound.close?.();
    },
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
