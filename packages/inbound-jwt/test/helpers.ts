import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type AzureAdConfig, defaultAuthContextAccessor, parseServerConfig } from '@mcp-auth-kit/auth-core';
import {
  createAuthMiddleware,
  createProtectedResourceMetadataHandler,
  createToolPolicyMiddleware,
  JwtBearerInboundSetup,
  type JwtBearerInboundSetupOptions,
  type ToolPolicy,
} from '@mcp-auth-kit/inbound-jwt';
import type { EntraEmulator } from '@mcp-auth-kit/testing';

export const APP_ID = '85a0b190-f927-4e27-b286-cd301d965e4a';

export function azureAdFor(emulator: EntraEmulator, overrides: Record<string, unknown> = {}): AzureAdConfig {
  return parseServerConfig({
    inboundAuthentication: {
      type: 'JwtBearerScheme',
      azureAd: {
        instance: emulator.instance,
        tenantId: emulator.tenantId,
        clientId: APP_ID,
        audience: APP_ID,
        ...overrides,
      },
    },
    outboundAuthentication: { type: 'Default' },
  }).inboundAuthentication.azureAd!;
}

export interface TestServer {
  url: string;
  setup: JwtBearerInboundSetup;
  server: Server;
  close(): Promise<void>;
}

/** A plain node:http server: metadata, then auth, then the tool policy, then an echo of the caller. */
export async function startProtectedServer(
  azureAd: AzureAdConfig,
  options: JwtBearerInboundSetupOptions & { policy?: ToolPolicy } = {},
): Promise<TestServer> {
  const setup = new JwtBearerInboundSetup(azureAd, options);
  const auth = createAuthMiddleware(setup);
  const metadata = createProtectedResourceMetadataHandler({ azureAd });
  const policy = createToolPolicyMiddleware(options.policy ?? {});
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (metadata(req, res)) return;
    auth(req, res, () =>
      policy(req, res, () => {
        const ctx = defaultAuthContextAccessor.current();
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            oid: ctx?.principal.objectId,
            upn: ctx?.principal.userPrincipalName,
            auth: Boolean((req as { auth?: unknown }).auth),
          }),
        );
      }),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    setup,
    server,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
