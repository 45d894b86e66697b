import { createServer } from 'node:http';
import { loadServerConfigFile } from '@mcp-auth-kit/auth-core';
import { createMcpAuth } from '@mcp-auth-kit/kit';
import { OAuthProxy, RedisFacadeStore } from '@mcp-auth-kit/oauth-proxy';
import { resolveAppCredential } from '@mcp-auth-kit/outbound-credentials';
import { createClient } from 'redis';

export async function main(handler: Parameters<Awaited<ReturnType<typeof createMcpAuth>>['node']>[0]) {
  const config = await loadServerConfigFile('appsettings.json'); // JwtBearerScheme in, JwtObo out
  const azureAd = config.inboundAuthentication.azureAd!;
  const redis = createClient({ url: process.env.REDIS_URL });
  await redis.connect();
  const proxy = new OAuthProxy({
    issuer: 'https://mcp.contoso.com',
    resource: 'https://mcp.contoso.com/mcp', // the app's Application ID URI
    upstream: {
      instance: azureAd.instance,
      tenantId: azureAd.tenantId,
      clientId: azureAd.clientId!,
      scopes: ['https://mcp.contoso.com/mcp/mcp.tools'],
      credential: resolveAppCredential(config.outboundAuthentication.clientCredential!),
    },
    signingKeyPem: process.env.FACADE_SIGNING_KEY, // the same EC P-256 key on every replica
    encryptionKey: Buffer.from(process.env.FACADE_ENCRYPTION_KEY ?? '', 'base64'), // 32 bytes
    store: new RedisFacadeStore(redis),
  });
  const auth = await createMcpAuth(config, {
    resourceUrl: 'https://mcp.contoso.com/mcp',
    authorizationServer: proxy,
  });
  createServer(auth.node(handler)).listen(8080);
}
