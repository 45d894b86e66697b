import { loadServerConfigFile } from '@mcp-auth-kit/auth-core';
import { createCredentialProviderFactory } from '@mcp-auth-kit/outbound-credentials';
import { createPostgresTools } from '@mcp-auth-kit/postgres-tools';

export async function main() {
  const config = await loadServerConfigFile('appsettings.json');
  const credentialProvider = createCredentialProviderFactory().create(config);
  return createPostgresTools({
    credentialProvider,
    servers: { sales: { host: 'sales-pg.postgres.database.azure.com' } },
    azureResourceManager: {
      subscriptions: ['2f1c7a52-5a0e-4d7c-9f0e-0a4b7c1d2e3f'], // the only ones callers may name
    },
  });
}
