import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

describe('the root README', () => {
  it.each(['addToServerV2Express.ts', 'addToServerWebStandard.ts', 'addToExistingServer.ts'])(
    'carries the type-checked sample %s unchanged',
    (file) => {
      const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
      const sample = readFileSync(new URL(`../src/snippets/${file}`, import.meta.url), 'utf8');
      expect(readme).toContain(`\`\`\`ts\n${sample}\`\`\``);
    },
  );

  it('the postgres-tools README carries the type-checked ARM sample unchanged', () => {
    const readme = readFileSync(
      new URL('../../../packages/postgres-tools/README.md', import.meta.url),
      'utf8',
    );
    const sample = readFileSync(new URL('../src/snippets/postgresToolsArm.ts', import.meta.url), 'utf8');
    expect(readme).toContain(`\`\`\`ts\n${sample}\`\`\``);
  });

  it('the oauth-proxy README carries the type-checked mounting sample unchanged', () => {
    const readme = readFileSync(new URL('../../../packages/oauth-proxy/README.md', import.meta.url), 'utf8');
    const sample = readFileSync(new URL('../src/snippets/oauthProxyMount.ts', import.meta.url), 'utf8');
    expect(readme).toContain(`\`\`\`ts\n${sample}\`\`\``);
  });

  it('the oauth-proxy README carries the type-checked Entra front sample unchanged', () => {
    const readme = readFileSync(new URL('../../../packages/oauth-proxy/README.md', import.meta.url), 'utf8');
    const sample = readFileSync(new URL('../src/snippets/entraFrontMount.ts', import.meta.url), 'utf8');
    expect(readme).toContain(`\`\`\`ts\n${sample}\`\`\``);
  });

  it('the kit README carries the type-checked allowedClients sample unchanged', () => {
    const readme = readFileSync(new URL('../../../packages/kit/README.md', import.meta.url), 'utf8');
    const sample = readFileSync(new URL('../src/snippets/allowedClients.ts', import.meta.url), 'utf8');
    expect(readme).toContain(`\`\`\`ts\n${sample}\`\`\``);
  });

  it('the inbound-jwt README carries the type-checked own-host sample unchanged', () => {
    const readme = readFileSync(new URL('../../../packages/inbound-jwt/README.md', import.meta.url), 'utf8');
    const sample = readFileSync(new URL('../src/snippets/ownAdapter.ts', import.meta.url), 'utf8');
    expect(readme).toContain(`\`\`\`ts\n${sample}\`\`\``);
  });

  it('every AADSTS code the READMEs name is in the one catalogue (auth-core AADSTS), which doctor reads', async () => {
    const { AADSTS } = await import('@mcp-auth-kit/auth-core');
    const readmes = ['../../../README.md', '../../../packages/oauth-proxy/README.md', '../README.md'].map(
      (path) => readFileSync(new URL(path, import.meta.url), 'utf8'),
    );
    const named = new Set(readmes.flatMap((text) => [...text.matchAll(/AADSTS(\d+)/g)].map((m) => m[1]!)));
    expect(named.size).toBeGreaterThan(5);
    expect([...named].filter((code) => !AADSTS[code])).toEqual([]);
  });

  it('gives the same test command that CI runs', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const ci = readFileSync(new URL('../../../.ci/run', import.meta.url), 'utf8');
    const command = 'npx -y pnpm@12.4.2 install && npx -y pnpm@12.4.2 test';
    expect(readme).toContain(command);
    expect(ci).toContain(command);
    // on both supported Node.js lines
    expect(ci).toMatch(/for v in 22 24; do\n\s+echo "== the README's test command/);
  });
});
