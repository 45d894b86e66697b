import type { AnyServerConfig } from '@mcp-auth-kit/auth-core';
import { createMcpAuth } from '@mcp-auth-kit/kit';

export async function admitKnownClients(config: AnyServerConfig) {
  return createMcpAuth(config, {
    allowedClients: [
      'aebc6443-996d-45c2-90f0-388ff96faa56', // an app registration
      {
        // the agent identity the tenant created for a metadata-document client
        appId: '6f1c2a54-0d7e-4b8e-9a61-2c3d4e5f6a7b',
        documentUrl: 'https://vscode.dev/oauth/client-metadata.json',
        name: 'VS Code',
      },
    ],
  });
}
