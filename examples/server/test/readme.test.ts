import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

describe('the root README', () => {
  it('carries the type-checked sample unchanged', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const sample = readFileSync(new URL('../src/snippets/addToExistingServer.ts', import.meta.url), 'utf8');
    expect(readme).toContain(`\`\`\`ts\n${sample}\`\`\``);
  });

  it('gives the same test command that CI runs', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const ci = readFileSync(new URL('../../../.ci/run', import.meta.url), 'utf8');
    const command = 'npx -y pnpm@12.4.2 install && npx -y pnpm@12.4.2 test';
    expect(readme).toContain(command);
    expect(ci).toContain(`\n${command}\n`);
  });
});
