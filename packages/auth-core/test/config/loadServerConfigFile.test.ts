import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadServerConfigFile } from '@mcp-auth-kit/auth-core';
import { describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'auth-core-'));
const write = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

async function failure(path: string): Promise<ConfigError> {
  try {
    await loadServerConfigFile(path);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('loadServerConfigFile', () => {
  it('loads each source fixture from disk', async () => {
    for (const name of [
      'appsettings.managed-identity.json',
      'appsettings.passthrough.json',
      'appsettings.obo.json',
    ]) {
      const config = await loadServerConfigFile(new URL(`../fixtures/${name}`, import.meta.url).pathname);
      expect(config.inboundAuthentication.type).toBe('JwtBearerScheme');
    }
  });

  it('accepts a UTF-8 byte order mark, as Windows editors write', async () => {
    const path = write(
      'bom.json',
      `\uFEFF${JSON.stringify({ inboundAuthentication: { type: 'None' }, outboundAuthentication: { type: 'Default' } })}`,
    );
    await expect(loadServerConfigFile(path)).resolves.toMatchObject({
      outboundAuthentication: { type: 'Default' },
    });
  });

  it('reports a syntax error with line and column and without the content', async () => {
    const path = write('bad.json', '{\n  "inboundAuthentication": {\n    "secret": "hunter2" x\n  }\n}\n');
    const error = await failure(path);
    expect(error.code).toBe('config_json_syntax');
    expect(error.message).toContain('bad.json');
    expect(error.message).toContain('line 3, column 25');
    expect(error.message).not.toContain('hunter2');
  });

  it('reports truncated JSON as an unexpected end', async () => {
    const error = await failure(write('short.json', '{"inboundAuthentication": {'));
    expect(error.code).toBe('config_json_syntax');
    expect(error.message).toContain('unexpected end of input');
  });

  it('reports a missing file with its name', async () => {
    const error = await failure(join(dir, 'missing.json'));
    expect(error.code).toBe('config_file_unreadable');
    expect(error.message).toContain('missing.json');
    expect(error.message).toContain('ENOENT');
  });

  it('names the file in validation errors', async () => {
    const error = await failure(write('invalid.json', '{"inboundAuthentication": {"type": "None"}}'));
    expect(error.code).toBe('config_invalid');
    expect(error.message).toContain('Invalid configuration in invalid.json');
    expect(error.issues).toEqual([{ path: 'outboundAuthentication', message: 'required' }]);
  });
});
