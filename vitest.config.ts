import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    alias: {
      '@mcp-auth-kit/auth-core/internal': fileURLToPath(
        new URL('./packages/auth-core/src/internal.ts', import.meta.url),
      ),
      '@mcp-auth-kit/auth-core': src('auth-core'),
      '@mcp-auth-kit/testing': src('testing'),
      '@mcp-auth-kit/inbound-jwt': src('inbound-jwt'),
      '@mcp-auth-kit/outbound-credentials': src('outbound-credentials'),
      '@mcp-auth-kit/postgres-tools': src('postgres-tools'),
      '@mcp-auth-kit/kit': src('kit'),
      '@mcp-auth-kit/oauth-proxy': src('oauth-proxy'),
      '@mcp-auth-kit/example-server': fileURLToPath(
        new URL('./examples/server/src/index.ts', import.meta.url),
      ),
    },
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    globalSetup: ['./packages/testing/src/vitestGlobalSetup.ts'],
  },
});
