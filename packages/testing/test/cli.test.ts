import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

describe('mcp-auth-emulator CLI', () => {
  it('prints one JSON line with its URLs and CA path, serves discovery, and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [cli, '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
    const info = JSON.parse(line) as { authority: string; caPath: string; tenantId: string };
    expect(info.caPath).toMatch(/ca\.pem$/);
    const res = await fetch(`${info.authority}/v2.0/.well-known/openid-configuration`);
    expect(((await res.json()) as { issuer: string }).issuer).toBe(`${info.authority}/v2.0`);
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  });

  it('refuses an unknown flag with usage and exit code 2', async () => {
    const child = spawn(process.execPath, [cli, '--bogus'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d) => {
      stderr += d;
    });
    const [code] = await once(child, 'exit');
    expect(code).toBe(2);
    expect(stderr).toContain('Usage: mcp-auth-emulator');
  });
});
