import type { ITokenCredentialProvider } from '@mcp-auth-kit/auth-core';
import { createPostgresTools, PostgresToolError, resolveServer } from '@mcp-auth-kit/postgres-tools';
import { describe, expect, it } from 'vitest';

describe('which servers a caller may name', () => {
  it('refuses Azure server names by default: only configured servers get a token', () => {
    for (const name of ['contoso-pg', 'contoso-pg.postgres.database.azure.com']) {
      const error = (() => {
        try {
          resolveServer(name, { local: { host: '127.0.0.1' } }, false);
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(PostgresToolError);
      expect((error as PostgresToolError).code).toBe('server_not_allowed');
      expect((error as Error).message).toContain('configured servers: local');
    }
    expect(resolveServer('local', { local: { host: '127.0.0.1' } }, false).host).toBe('127.0.0.1');
  });

  it('a configured sovereign-cloud host gets its own cloud’s token scope unless one is given', () => {
    expect(
      resolveServer('gov', { gov: { host: 'db.postgres.database.usgovcloudapi.net' } }, false).scope,
    ).toBe('https://ossrdbms-aad.database.usgovcloudapi.net/.default');
    expect(resolveServer('cn', { cn: { host: 'db.postgres.database.chinacloudapi.cn' } }, false).scope).toBe(
      'https://ossrdbms-aad.database.chinacloudapi.cn/.default',
    );
    expect(resolveServer('own', { own: { host: '10.0.0.5', scope: 'api://pg/.default' } }, false).scope).toBe(
      'api://pg/.default',
    );
    expect(resolveServer('pub', { pub: { host: 'db.contoso.internal' } }, false).scope).toBe(
      'https://ossrdbms-aad.database.windows.net/.default',
    );
  });

  it('accepts them only when the operator opts in, and warns at start-up', async () => {
    expect(resolveServer('contoso-pg', {}, true).host).toBe('contoso-pg.postgres.database.azure.com');
    const warnings: string[] = [];
    const provider: ITokenCredentialProvider = {
      type: 'JwtObo',
      actsFor: 'caller',
      getTokenCredential: () => ({ getToken: async () => null }),
      describe: () => ({ type: 'JwtObo', identity: 'the caller' }),
    };
    const quiet = createPostgresTools({
      credentialProvider: provider,
      logger: { info: () => {}, warn: (m) => warnings.push(m) },
    });
    expect(warnings).toEqual([]);
    const open = createPostgresTools({
      credentialProvider: provider,
      allowAzureHosts: true,
      logger: { info: () => {}, warn: (m) => warnings.push(m) },
    });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('allowAzureHosts is on');
    await Promise.all([quiet.close(), open.close()]);
  });
});
