import { createServer } from 'node:http';
import { loadServerConfigFile } from '@mcp-auth-kit/auth-core';
import { createMcpAuth } from '@mcp-auth-kit/kit';
import { EntraFront } from '@mcp-auth-kit/oauth-proxy';

export async function main(handler: Parameters<Awaited<ReturnType<typeof createMcpAuth>>['node']>[0]) {
  const config = await loadServerConfigFile('appsettings.json'); // JwtBearerScheme in, JwtObo out
  const azureAd = config.inboundAuthentication.azureAd!;
  const front = new EntraFront({
    issuer: 'https://mcp.contoso.com', // this server's origin
    resource: 'https://mcp.contoso.com/mcp', // the MCP URL = the app's Application ID URI
    instance: azureAd.instance,
    tenantId: azureAd.tenantId,
    // the public client clients that register themselves are given (Allow public client flows)
    publicClient: {
      clientId: '11111111-2222-3333-4444-555555555555',
      redirectUris: [
        'http://localhost/callback',
        'http://localhost/oauth/callback',
        'http://127.0.0.1/oauth/callback',
      ],
    },
  });
  const auth = await createMcpAuth(config, {
    resourceUrl: 'https://mcp.contoso.com/mcp',
    authorizationServer: front,
  });
  createServer(auth.node(handler)).listen(8080);
}
