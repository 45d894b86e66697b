/** A tool result, as both MCP SDK generations define it (the part our tools produce). */
export interface McpToolResult {
  [key: string]: unknown;
  content: Array<{ type: 'text'; text: string }>;
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

/** Tool annotations (MCP spec), as both SDK generations accept them. */
export interface McpToolAnnotations {
  readonly title?: string;
  readonly readOnlyHint?: boolean;
  readonly destructiveHint?: boolean;
  readonly idempotentHint?: boolean;
  readonly openWorldHint?: boolean;
}

/**
 * The part of an MCP SDK `McpServer` that tool packs use, met by v1's
 * (`@modelcontextprotocol/sdk/server/mcp.js`) and v2's (`@modelcontextprotocol/server`) alike, so
 * that neither generation is a dependency of ours. Input schemas are zod objects: v1 takes them,
 * and v2 takes any Standard Schema with JSON Schema, which zod 4 is.
 */
export interface McpServerLike {
  registerTool(
    name: string,
    config: {
      title?: string;
      description?: string;
      inputSchema?: unknown;
      annotations?: McpToolAnnotations;
    },
    // biome-ignore lint/suspicious/noExplicitAny: each generation types its own callback arguments
    callback: (args: any, extra: any) => McpToolResult | Promise<McpToolResult>,
  ): unknown;
}
