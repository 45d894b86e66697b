import {
  type AuthContextAccessor,
  fromAuthInfo,
  type ITokenCredentialProvider,
  type McpAuthInfo,
} from '@mcp-auth-kit/auth-core';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';

/** Registers `whoami`: the caller as the server sees it, and the identity outbound calls would use. */
export function registerWhoami(
  server: McpServer,
  provider: ITokenCredentialProvider,
  accessor: AuthContextAccessor,
): void {
  server.registerTool(
    'whoami',
    {
      title: 'Who am I',
      description:
        'The caller as this server sees it (name, object id, tenant, roles, scopes) and the identity outbound calls would use.',
      inputSchema: {},
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async (_args: Record<string, never>, extra: { authInfo?: McpAuthInfo }) => {
      let caller = accessor.current();
      if (extra.authInfo) {
        try {
          caller = fromAuthInfo(extra.authInfo);
        } catch {
          // not an AuthInfo of ours: keep the accessor's
        }
      }
      const result = {
        authenticated: caller !== undefined,
        caller: caller
          ? {
              kind: caller.principal.kind,
              name: caller.principal.name ?? null,
              userPrincipalName: caller.principal.userPrincipalName ?? null,
              objectId: caller.principal.objectId,
              tenantId: caller.principal.tenantId,
              appId: caller.principal.appId ?? null,
              roles: [...caller.roles],
              scopes: [...caller.scopes],
              expiresAt: new Date(caller.expiresOnTimestampMs).toISOString(),
            }
          : null,
        outbound: provider.describe(caller),
      };
      return {
        content: [{ type: 'text', text: JSON.stringify(result) }],
        structuredContent: result,
      };
    },
  );
}
