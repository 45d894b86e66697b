// mcp-remote as Claude Desktop (and other stdio-only clients) runs it: a stdio MCP server that
// proxies to the remote URL and signs in by itself (its browser: the program named by BROWSER).
// Here an SDK client on its stdio sends one tool call; the result is printed as one JSON line.
// usage: node mcpRemoteClient.mjs <proxy.js> <mcp-url> <sql> [callback-port] [--header "Authorization:Bearer …"]
// (mcp-remote reads the callback port as the argument right after the URL)
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const [proxy, url, sql, ...rest] = process.argv.slice(2);
const port = /^\d+$/.test(rest[0] ?? '') ? [rest.shift()] : [];
const transport = new StdioClientTransport({
  command: process.execPath,
  args: [proxy, url, ...port, '--transport', 'http-only', ...rest],
  env: { ...process.env },
  stderr: 'pipe',
});
let stderr = '';
transport.stderr?.on('data', (d) => {
  stderr += d;
});
const client = new Client({ name: 'mcp-remote e2e', version: '0' });
try {
  await client.connect(transport);
  const result = await client.callTool({
    name: 'postgres_database_query',
    arguments: { server: 'local', database: 'demo', query: sql },
  });
  process.stdout.write(`${JSON.stringify(result)}\n`);
} catch (error) {
  process.stderr.write(`${error?.message ?? error}\n${stderr.slice(-4000)}\n`);
  process.exitCode = 1;
} finally {
  await client.close().catch(() => {});
}
