// Our query tool as a stdio MCP server, for the side-by-side with the reference server (which only
// speaks stdio): SDK v1 McpServer, the host-identity login with a token handed in by the parent.
import { createPostgresTools } from '@mcp-auth-kit/postgres-tools';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';

const token = process.env.BENCH_PG_TOKEN;
const provider = {
  type: 'BenchHostToken',
  actsFor: 'host',
  getTokenCredential: () => ({
    getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3_600_000 }),
  }),
  describe: () => ({ type: 'BenchHostToken', identity: 'the host' }),
};
const tools = createPostgresTools({
  credentialProvider: provider,
  servers: { local: { host: process.env.BENCH_PG_HOST, port: Number(process.env.BENCH_PG_PORT) } },
  managedIdentityRoleName: process.env.BENCH_PG_ROLE,
  logger: { info() {}, warn() {} },
});
const server = new McpServer({ name: 'mcp-auth-kit-postgres', version: '0.0.0' });
tools.register(server);
await server.connect(new StdioServerTransport());
// the client closes stdin, then signals: exit either way (a --cpu-prof profile is written at exit)
process.stdin.on('end', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
