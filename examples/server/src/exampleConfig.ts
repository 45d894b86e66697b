import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import {
  ConfigError,
  type ConfigIssue,
  parseJsonText,
  parseServerConfig,
  type ServerConfig,
} from '@mcp-auth-kit/auth-core';
import { z } from 'zod';

/** The example's own section of appsettings.json (optional; the source document's files have none). */
const serverEntrySchema = z.strictObject({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).optional(),
  tls: z.enum(['verify-full', 'disable']).optional(),
});
const mcpServerSchema = z.strictObject({
  postgresServers: z.record(z.string().min(1), serverEntrySchema).optional(),
  /** Azure Resource Manager as the caller: flexible server discovery, ARM configuration, parameter get/set. */
  azureResourceManager: z
    .strictObject({
      subscriptions: z.array(z.guid()).min(1),
      endpoint: z.url({ protocol: /^https$/ }).optional(),
      connectOverrides: z.record(z.string().min(1), serverEntrySchema).optional(),
    })
    .optional(),
  managedIdentityRoleName: z.string().min(1).optional(),
  /** Browser origins allowed to call /mcp besides the server's own and loopback ones (or ["*"]). */
  allowedOrigins: z.array(z.union([z.literal('*'), z.url()])).optional(),
  /**
   * The stateless Entra front (`@mcp-auth-kit/oauth-proxy` EntraFront) on this server's origin:
   * clients given only the MCP URL sign in at Entra ID through it. Needs `--resource-url`.
   */
  entraFront: z
    .strictObject({
      /** The API's Application ID URI; default the MCP URL. */
      applicationIdUri: z.string().min(1).optional(),
      /** The API's scopes (short names) clients get when they ask for none; default ["mcp.tools"]. */
      scopes: z.array(z.string().min(1)).min(1).optional(),
      /** The pre-registered public client self-registering clients are given, and its redirect URIs as registered in Entra ID. */
      publicClient: z
        .strictObject({ clientId: z.guid(), redirectUris: z.array(z.string().min(1)).min(1) })
        .optional(),
      /**
       * The tenant has Client ID Metadata Documents (preview): the front's metadata says so, and
       * clients that have a document send its URL as client_id to Entra ID (no registration).
       */
      clientIdMetadataDocuments: z.boolean().optional(),
    })
    .optional(),
  /**
   * The client applications admitted, by app id, each optionally with the metadata document URL
   * of the client it is the agent identity of; default every client the tenant admitted.
   */
  allowedClients: z
    .array(
      z.union([
        z.string().min(1),
        z.strictObject({
          appId: z.string().min(1),
          documentUrl: z.string().min(1).optional(),
          name: z.string().min(1).optional(),
        }),
      ]),
    )
    .optional(),
  toolPolicy: z
    .record(
      z.string().min(1),
      z.strictObject({
        scopes: z.array(z.string().min(1)).optional(),
        roles: z.array(z.string().min(1)).optional(),
      }),
    )
    .optional(),
});

export type McpServerSection = z.infer<typeof mcpServerSchema>;

export interface ExampleConfig {
  readonly auth: ServerConfig;
  readonly mcpServer: McpServerSection;
}

/** Validates the auth sections (auth-core) and the example's `mcpServer` section; one ConfigError for all problems. */
export function parseExampleConfig(
  input: unknown,
  source?: string,
  env?: Record<string, string | undefined>,
): ExampleConfig {
  const { mcpServer, ...rest } = (
    typeof input === 'object' && input !== null && !Array.isArray(input) ? input : {}
  ) as Record<string, unknown>;
  const issues: ConfigIssue[] = [];
  let auth: ServerConfig | undefined;
  try {
    auth = parseServerConfig(Array.isArray(input) ? input : rest, { source, env });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    issues.push(...error.issues);
  }
  const section = mcpServerSchema.safeParse(mcpServer ?? {});
  if (!section.success) {
    for (const issue of section.error.issues) {
      issues.push({ path: ['mcpServer', ...issue.path.map(String)].join('.'), message: issue.message });
    }
  }
  if (issues.length > 0 || !auth || !section.success)
    throw new ConfigError('config_invalid', issues, { source });
  return { auth, mcpServer: section.data };
}

/** Reads and validates an example config file. */
export async function loadExampleConfig(path: string): Promise<ExampleConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new ConfigError(
      'config_file_unreadable',
      [{ path: '', message: `cannot read file (${(cause as NodeJS.ErrnoException).code ?? 'error'})` }],
      {
        source: basename(path),
        cause,
      },
    );
  }
  return parseExampleConfig(parseJsonText(text, basename(path)), basename(path));
}
