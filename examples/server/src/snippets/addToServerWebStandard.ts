import type { ServerConfig } from '@mcp-auth-kit/auth-core';
import {
  createFetchAuth,
  createProtectedResourceMetadataFetchHandler,
  JwtBearerInboundSetup,
} from '@mcp-auth-kit/inbound-jwt';
import { createCredentialProviderFactory } from '@mcp-auth-kit/outbound-credentials';
import { createPostgresTools } from '@mcp-auth-kit/postgres-tools';
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';

/** A `fetch(request)` handler for Hono, Bun, Deno, Cloudflare Workers or Azure Functions v4. */
export function createFetchHandler(config: ServerConfig): (request: Request) => Promise<Response> {
  const inbound = config.inboundAuthentication;
  if (inbound.type !== 'JwtBearerScheme') throw new Error('this server needs inbound JwtBearerScheme');
  const azureAd = inbound.azureAd;
  const gate = createFetchAuth(new JwtBearerInboundSetup(azureAd));
  const metadata = createProtectedResourceMetadataFetchHandler({ azureAd });
  const credentialProvider = createCredentialProviderFactory().create(config);
  const postgres = createPostgresTools({
    credentialProvider,
    servers: { sales: { host: 'sales-pg.postgres.database.azure.com' } },
  });
  const mcp = createMcpHandler(() => {
    const server = new McpServer({ name: 'my-server', version: '1.0.0' });
    postgres.register(server);
    return server;
  });

  return async (request) => {
    const served = metadata(request);
    if (served) return served;
    const auth = await gate(request); // the caller, or a ready 401/403/503 Response
    if (auth instanceof Response) return auth;
    return mcp.fetch(request, auth ? { authInfo: auth } : {});
  };
}
