import { createServer } from 'node:http';
import { loadServerConfigFile } from '@mcp-auth-kit/auth-core';
import { createMcpAuth } from '@mcp-auth-kit/kit';
import { createPostgresTools } from '@mcp-auth-kit/postgres-tools';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';

export async function main(): Promise<void> {
  const auth = await createMcpAuth(await loadServerConfigFile('appsettings.json'));
  const postgres = createPostgresTools({
    credentialProvider: auth.credentialProvider,
    servers: { sales: { host: 'sales-pg.postgres.database.azure.com' } },
  });
  const mcp = createMcpHandler(() => {
    const server = new McpServer({ name: 'my-server', version: '1.0.0' });
    postgres.register(server);
    return server;
  });
  const serve = toNodeHandler(mcp);
  createServer(auth.node((req, res) => serve(req, res, req.body))).listen(3000, '127.0.0.1');
}
