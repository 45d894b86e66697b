import {
  type AuthContextAccessor,
  type ITokenCredentialProvider,
  type McpServerLike,
  type McpToolExtra,
  resolveCaller,
} from '@mcp-auth-kit/auth-core';
import { z } from 'zod';

const noArguments = z.object({});

/**
 * Registers `whoami` on an MCP SDK v1 or v2 `McpServer`: the caller as the server sees it, and the
 * identity outbound calls would use.
 */
export function registerWhoami(
  server: McpServerLike,
  provider: ITokenCredentialProvider,
  accessor: AuthContextAccessor,
): void {
  server.registerTool(
    'whoami',
    {
      title: 'Who am I',
      description:
        'The caller as this server sees it (name, object id, tenant, roles, scopes) and the identity outbound calls would use.',
      inputSchema: noArguments,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async (_args: Record<string, never>, extra: McpToolExtra) => {
      const caller = resolveCaller(extra, accessor);
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
              // the client: an agent identity (a Client ID Metadata Document client) and its document
              agentIdentity: caller.principal.agentIdentity === true,
              clientDocumentUrl: caller.principal.clientDocumentUrl ?? null,
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
