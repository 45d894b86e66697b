import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@mcp-auth-kit/auth-core';
import {
  type AuthContextAccessor,
  ConfigError,
  defaultAuthContextAccessor,
  type ITokenCredentialProvider,
  isLoopbackHost,
} from '@mcp-auth-kit/auth-core';
import { type JwtBearerInboundSetupOptions, sendJson } from '@mcp-auth-kit/inbound-jwt';
import { type AuthorizationServerFacade, createMcpAuth } from '@mcp-auth-kit/kit';
import { EntraFront } from '@mcp-auth-kit/oauth-proxy';
import {
  createPostgresTools,
  type PostgresServerEntry,
  type PostgresTools,
} from '@mcp-auth-kit/postgres-tools';
import type { ExampleConfig } from './exampleConfig.js';
import { createMcpServing, type SdkGeneration } from './mcpServing.js';
import type { SessionLimits } from './sessions.js';
import { registerWhoami } from './whoami.js';

export interface ExampleServerOptions {
  readonly config: ExampleConfig;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 3000; 0 picks a free port. */
  readonly port?: number;
  /** Plain HTTP on a non-loopback address (TLS terminated by the host's ingress). */
  readonly enableInsecureTransports?: boolean;
  /** Inbound `None` on a non-loopback address: anyone who can reach the port is served. */
  readonly dangerouslyAllowUnauthenticatedRemote?: boolean;
  /** Streamable HTTP with sessions (each bound to its caller); default stateless (any replica serves any request). */
  readonly stateful?: boolean;
  /**
   * The MCP SDK generation serving `/mcp`; default `v2`, which answers 2026-07-28 clients and, by its
   * legacy fallback, 2025-06-18 / 2025-11-25 clients.
   */
  readonly sdk?: SdkGeneration;
  /** Stateful mode: idle expiry and how many sessions a caller, and the server, may hold. */
  readonly sessions?: SessionLimits;
  /** This server's public MCP URL, when behind an ingress. */
  readonly resourceUrl?: string;
  readonly trustForwardedHeaders?: boolean;
  readonly logger?: Logger;
  /** Extra allow-listed Postgres servers (merged over the config's). */
  readonly postgresServers?: Readonly<Record<string, PostgresServerEntry>>;
  /**
   * Also carry the caller in AsyncLocalStorage (`defaultAuthContextAccessor`) through each request.
   * Default false: this server passes the caller explicitly (`req.auth` / `extra.authInfo`), which
   * avoids the per-promise cost AsyncLocalStorage has on Node 20 and 22 (see bench/RESULTS.md).
   */
  readonly propagateContext?: boolean;
  /** Options of the JwtBearerScheme setup (signing-key cache timings, verified-token cache size). */
  readonly inboundOptions?: JwtBearerInboundSetupOptions;
  /** msal-node's log level for JwtObo (routed to `logger.info`). */
  readonly msalLogLevel?: 'error' | 'warning' | 'info' | 'verbose';
  /**
   * An authorization-server façade in front of Entra ID (`@mcp-auth-kit/oauth-proxy`) for clients
   * that register themselves; its tokens are accepted beside Entra ID's.
   */
  readonly authorizationServer?: AuthorizationServerFacade;
  /** How long `close()` waits for in-flight requests (open SSE streams never finish); default 10 000. */
  readonly shutdownGraceMs?: number;
}

export interface RunningExampleServer {
  readonly url: string;
  readonly mcpUrl: string;
  readonly tools: PostgresTools;
  readonly credentialProvider: ITokenCredentialProvider;
  /** Stops accepting, lets in-flight requests finish, closes pools. */
  close(): Promise<void>;
}

/** The Entra front the configuration asks for (`mcpServer.entraFront`); its issuer is the resource URL's origin. */
function entraFrontFor(
  options: ExampleServerOptions,
  logger: { warn(m: string): void },
): EntraFront | undefined {
  const front = options.config.mcpServer.entraFront;
  const azureAd = options.config.auth.inboundAuthentication.azureAd;
  if (!front) return undefined;
  if (!azureAd || !options.resourceUrl) {
    throw new ConfigError('config_invalid', [
      {
        path: 'mcpServer.entraFront',
        message:
          'the Entra front needs inboundAuthentication JwtBearerScheme and --resource-url (its origin is the issuer clients discover)',
      },
    ]);
  }
  return new EntraFront({
    issuer: new URL(options.resourceUrl).origin,
    resource: options.resourceUrl,
    instance: azureAd.instance,
    tenantId: azureAd.tenantId,
    ...(front.applicationIdUri ? { applicationIdUri: front.applicationIdUri } : {}),
    ...(front.scopes ? { scopes: front.scopes } : {}),
    ...(front.publicClient ? { publicClient: front.publicClient } : {}),
    ...(front.clientIdMetadataDocuments ? { clientIdMetadataDocuments: true } : {}),
    logger: { info() {}, warn: (m: string) => logger.warn(m) },
  });
}

/** Refuses the dangerous combinations before anything listens. */
function checkExposure(options: ExampleServerOptions, host: string): void {
  if (isLoopbackHost(host)) return;
  const issues = [];
  if (!options.enableInsecureTransports) {
    issues.push({
      path: '--host',
      message: `plain HTTP on ${host} is refused: terminate TLS at your ingress and pass --enable-insecure-transports`,
    });
  }
  if (
    options.config.auth.inboundAuthentication.type === 'None' &&
    !options.dangerouslyAllowUnauthenticatedRemote
  ) {
    issues.push({
      path: 'inboundAuthentication.type',
      message: `None on ${host} would serve anyone who can reach it; pass --dangerously-allow-unauthenticated-remote to do so anyway`,
    });
  }
  if (issues.length > 0) throw new ConfigError('config_invalid', issues);
}

/** Starts the example MCP server: `/mcp` (Streamable HTTP), protected-resource metadata, `/health` (liveness), `/ready` (readiness). */
export async function startExampleServer(options: ExampleServerOptions): Promise<RunningExampleServer> {
  const host = options.host ?? '127.0.0.1';
  checkExposure(options, host);
  const { auth, mcpServer } = options.config;
  const accessor: AuthContextAccessor = defaultAuthContextAccessor;
  const logger = options.logger ?? { info: () => {}, warn: (m: string) => console.error(m) };
  const authorizationServer = options.authorizationServer ?? entraFrontFor(options, logger);
  const mcpAuth = await createMcpAuth(auth, {
    ...(options.resourceUrl ? { resourceUrl: options.resourceUrl } : {}),
    trustForwardedHeaders: options.trustForwardedHeaders ?? false,
    toolPolicy: mcpServer.toolPolicy ?? {},
    ...(mcpServer.allowedOrigins ? { allowedOrigins: mcpServer.allowedOrigins } : {}),
    ...(mcpServer.allowedClients ? { allowedClients: mcpServer.allowedClients } : {}),
    logger,
    accessor,
    propagateContext: options.propagateContext ?? false,
    ...(options.inboundOptions ? { inbound: options.inboundOptions } : {}),
    outbound: options.msalLogLevel ? { msalLogLevel: options.msalLogLevel } : {},
    ...(authorizationServer ? { authorizationServer } : {}),
  });
  const { credentialProvider } = mcpAuth;

  const servers: Record<string, PostgresServerEntry> = {
    ...mcpServer.postgresServers,
    ...options.postgresServers,
  };
  const tools = createPostgresTools({
    credentialProvider,
    servers,
    accessor,
    managedIdentityRoleName: mcpServer.managedIdentityRoleName ?? 'managed-identity',
    ...(mcpServer.azureResourceManager ? { azureResourceManager: mcpServer.azureResourceManager } : {}),
  });

  const serving = createMcpServing({
    sdk: options.sdk ?? 'v2',
    stateful: options.stateful ?? false,
    ...(options.sessions ? { sessions: options.sessions } : {}),
    register: (mcp) => {
      tools.register(mcp);
      registerWhoami(mcp, credentialProvider, accessor);
    },
  });
  let inFlight = 0;
  let idle: (() => void) | undefined;

  const mcp = mcpAuth.node((req, res) => serving.handle(req, res));

  const server = createServer((req, res) => {
    inFlight++;
    res.on('close', () => {
      inFlight--;
      if (inFlight === 0) idle?.();
    });
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/health') {
      sendJson(res, req.method === 'GET' ? 200 : 405, { status: 'ok' });
      return;
    }
    if (path === '/ready') {
      // readiness: 200 only while signing keys and the outbound credential are usable
      if (req.method !== 'GET') {
        sendJson(res, 405, { error: 'method_not_allowed' });
        return;
      }
      mcpAuth.readiness().then(
        (r) =>
          sendJson(res, r.ready ? 200 : 503, { status: r.ready ? 'ready' : 'not_ready', checks: r.checks }),
        () => sendJson(res, 503, { status: 'not_ready' }),
      );
      return;
    }
    if (mcpAuth.metadata(req, res)) return;
    if (path !== '/mcp') {
      sendJson(res, 404, { error: 'not_found' });
      return;
    }
    mcp(req, res);
  });
  server.requestTimeout = 120_000;
  server.headersTimeout = 20_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 3000, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  let closing: Promise<void> | undefined;
  return {
    url,
    mcpUrl: `${url}/mcp`,
    tools,
    credentialProvider,
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((r) => server.close(() => r()));
        server.closeIdleConnections();
        if (inFlight > 0) {
          await new Promise<void>((r) => {
            idle = r;
            setTimeout(r, options.shutdownGraceMs ?? 10_000).unref();
          });
        }
        server.closeAllConnections();
        await stopped;
        await serving.close();
        await tools.close();
        await mcpAuth.close();
      })();
      return closing;
    },
  };
}
