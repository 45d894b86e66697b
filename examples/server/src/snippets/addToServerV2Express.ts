import { loadServerConfigFile } from '@mcp-auth-kit/auth-core';
import { createProtectedResourceMetadataHandler, JwtBearerInboundSetup } from '@mcp-auth-kit/inbound-jwt';
import { createCredentialProviderFactory } from '@mcp-auth-kit/outbound-credentials';
import { createPostgresTools } from '@mcp-auth-kit/postgres-tools';
import { requireBearerAuth } from '@modelcontextprotocol/express';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import express from 'express';

export async function main(): Promise<void> {
  const config = await loadServerConfigFile('appsettings.json');
  const inbound = config.inboundAuthentication;
  if (inbound.type !== 'JwtBearerScheme') throw new Error('this server needs inbound JwtBearerScheme');
  const azureAd = inbound.azureAd;
  const credentialProvider = createCredentialProviderFactory().create(config);
  const postgres = createPostgresTools({
    credentialProvider,
    servers: { sales: { host: 'sales-pg.postgres.database.azure.com' } },
  });
  // 2026-07-28 clients, and 2025-06-18 / 2025-11-25 clients through the SDK's fallback
  const mcp = toNodeHandler(
    createMcpHandler(() => {
      const server = new McpServer({ name: 'my-server', version: '1.0.0' });
      postgres.register(server);
      return server;
    }),
  );
  const metadata = createProtectedResourceMetadataHandler({ azureAd });

  const app = express();
  app.use((req, res, next) => (metadata(req, res) ? undefined : next()));
  const auth = requireBearerAuth({
    verifier: new JwtBearerInboundSetup(azureAd),
    resourceMetadataUrl: 'http://127.0.0.1:3000/.well-known/oauth-protected-resource/mcp',
  });
  app.all('/mcp', auth, (req, res) => void mcp(req, res));
  app.listen(3000, '127.0.0.1');
}
