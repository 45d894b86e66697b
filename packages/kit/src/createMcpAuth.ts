import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type AnyServerConfig,
  createDefaultLogger,
  defaultAuthContextAccessor,
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
  type NodeMiddleware,
  sendJson,
} from '@mcp-auth-kit/inbound-jwt';
import { createCredentialProviderFactory } from '@mcp-auth-kit/outbound-credentials';
import { createOriginPolicy, fetchOriginRequest, nodeOriginRequest, refusalBody } from './originPolicy.js';
import type { AuthenticatedRequest, McpAuth, McpAuthOptions, Readiness } from './types.js';

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
      reason: safeErrorMessage(error, { withName: false }),
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
      ...(options.allowedClients ? { allowedClients: options.allowedClients } : {}),
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
  const originCheck = createOriginPolicy({
    ...(options.resourceUrl ? { resourceUrl: options.resourceUrl } : {}),
    ...(options.allowedOrigins ? { allowedOrigins: options.allowedOrigins } : {}),
    ...(options.allowedHosts ? { allowedHosts: options.allowedHosts } : {}),
  });
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
    const refused = originCheck(nodeOriginRequest(req));
    if (refused) {
      const body = refusalBody(refused);
      res.writeHead(refused.status, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
      });
      res.end(body);
      return;
    }
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
          const auth = (req as AuthenticatedRequest).auth;
          if (auth) {
            if (claimsOptions) answerClaimsChallenges(req, res, callerOf(auth), claimsOptions);
            dropAuthorizationHeader(req);
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
        const localAddress = (info as { localAddress?: unknown } | undefined)?.localAddress;
        const forbidden = originCheck(
          fetchOriginRequest(request, typeof localAddress === 'string' ? localAddress : undefined),
        );
        if (forbidden) {
          return new Response(refusalBody(forbidden), {
            status: forbidden.status,
            headers: { 'content-type': 'application/json' },
          });
        }
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

/**
 * The bearer token has done its work once the request is authenticated: the handler has it as
 * `req.auth.token`. Cleared from `req.headers` and removed from `req.rawHeaders`, it is not copied
 * into the MCP SDK's web Request (1.3 kB of header validated and copied per call), nor logged by
 * anything downstream that prints request headers. (Cleared, not deleted: a delete would turn the
 * headers object into a slow dictionary for every later lookup.)
 */
function dropAuthorizationHeader(req: IncomingMessage): void {
  req.headers.authorization = undefined;
  const raw = req.rawHeaders;
  for (let i = raw.length - 2; i >= 0; i -= 2) {
    const name = raw[i]!;
    if (name.length === 13 && name.toLowerCase() === 'authorization') raw.splice(i, 2);
  }
}
