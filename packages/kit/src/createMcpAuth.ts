import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type AnyServerConfig,
  createDefaultLogger,
  defaultAuthContextAccessor,
  type RequestAuthContext,
  safeErrorMessage,
} from '@mcp-auth-kit/auth-core';
import {
  authenticationStage,
  createInboundSetupFactory,
  createProtectedResourceMetadataFetchHandler,
  createProtectedResourceMetadataHandler,
  toolPolicyStage,
} from '@mcp-auth-kit/inbound-jwt';
import { createCredentialProviderFactory } from '@mcp-auth-kit/outbound-credentials';
import { runFetch } from './fetchAdapter.js';
import { runNode } from './nodeAdapter.js';
import { createOriginPolicy } from './originPolicy.js';
import type { PipelineStages } from './pipeline.js';
import type { McpAuth, McpAuthOptions, Readiness } from './types.js';

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
  const fetchMetadata = azureAd
    ? createProtectedResourceMetadataFetchHandler({ azureAd, ...urls, ...servers })
    : () => undefined;
  // the façade's own paths (authorization server metadata, authorize, token, …) come first
  const nodeOwnPath = facade
    ? (req: IncomingMessage, res: ServerResponse) => facade.handle(req, res) || prm(req, res)
    : prm;
  const fetchOwnPath = async (request: Request, remoteAddress: string | undefined) =>
    (await facade?.fetch?.(request, remoteAddress)) ?? fetchMetadata(request);

  // the inbound setup's canonical resource URL when the options name none
  const viewUrls =
    !urls.resourceUrl && inbound.resourceUrl ? { ...urls, resourceUrl: inbound.resourceUrl } : urls;
  const stages: PipelineStages = {
    origin: createOriginPolicy({
      ...(options.resourceUrl ? { resourceUrl: options.resourceUrl } : {}),
      ...(options.allowedOrigins ? { allowedOrigins: options.allowedOrigins } : {}),
      ...(options.allowedHosts ? { allowedHosts: options.allowedHosts } : {}),
    }),
    authenticate: authenticationStage(inbound, { logger }),
    policy: toolPolicyStage(options.toolPolicy ?? {}),
    // Conditional Access: an On-Behalf-Of refused with a claims challenge becomes 401
    // insufficient_claims while the response is still open (Microsoft.Identity.Web does the same)
    claims: azureAd
      ? { ...viewUrls, authorizationUri: `${azureAd.instance}${azureAd.tenantId}/oauth2/v2.0/authorize` }
      : undefined,
    accessor,
    propagate: options.propagateContext ?? false,
  };
  const nodeOptions = { stages, urls: viewUrls, ownPath: nodeOwnPath, logger, dropToken: true };
  const expressOptions = { ...nodeOptions, dropToken: false };
  const fetchOptions = { stages, urls: viewUrls, ownPath: fetchOwnPath, logger };

  return {
    config,
    inbound,
    credentialProvider,
    express: () => (req, res, next) => runNode(expressOptions, req, res, () => next()),
    metadata: nodeOwnPath,
    node: (handler) => (req, res) => runNode(nodeOptions, req, res, (request) => handler(request, res)),
    fetch: (handler) => (request, info) => runFetch(fetchOptions, request, info, handler),
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
