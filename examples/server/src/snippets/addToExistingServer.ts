import { createServer } from 'node:http';
import { defaultAuthContextAccessor, loadServerConfigFile } from '@mcp-auth-kit/auth-core';
import {
  createAuthMiddleware,
  createProtectedResourceMetadataHandler,
  JwtBearerInboundSetup,
} from '@mcp-auth-kit/inbound-jwt';
import { createCredentialProviderFactory } from '@mcp-auth-kit/outbound-credentials';
import { createPostgresTools } from '@mcp-auth-kit/postgres-tools';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';

export async function main(): Promise<void> {
  const config = await loadServerConfigFile('appsettings.json');
  const inbound = config.inboundAuthentication;
  if (inbound.type !== 'JwtBearerScheme') throw new Error('this server needs inbound JwtBearerScheme');
  const azureAd = inbound.azureAd;
  const auth = createAuthMiddleware(new JwtBearerInboundSetup(azureAd));
  const metadata = createProtectedResourceMetadataHandler({ azureAd });
  const credentialProvider = createCredentialProviderFactory().create(config);
  const postgres = createPostgresTools({ credentialProvider });

  createServer((req, res) => {
    if (metadata(req, res)) return;
    auth(req, res, async () => {
      const server = new McpServer({ name: 'my-server', version: '1.0.0' });
      postgres.register(server);
      server.registerTool('hello', { description: 'Greets the caller' }, async () => ({
        content: [
          { type: 'text', text: `hello ${defaultAuthContextAccessor.require().principal.userPrincipalName}` },
        ],
      }));
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      await server.connect(transport);
      await transport.handleRequest(req, res);
    });
  }).listen(3000, '127.0.0.1');
}
