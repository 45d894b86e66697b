import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { ConfigError } from '../errors.js';
import { locateJsonError } from './locateJsonError.js';
import { type ParseServerConfigOptions, parseServerConfig } from './parseServerConfig.js';
import type { ServerConfig } from './types.js';

/**
 * Reads and validates an `appsettings.json` file. Errors name the file; a JSON syntax error gives
 * line and column but never quotes the file's content (it may hold a secret).
 */
export async function loadServerConfigFile(
  path: string,
  options: Omit<ParseServerConfigOptions, 'source'> = {},
): Promise<ServerConfig> {
  const source = basename(path);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code ?? 'read error';
    throw new ConfigError('config_file_unreadable', [{ path: '', message: `cannot read file (${reason})` }], {
      source,
      cause,
    });
  }
  return parseServerConfig(parseJsonText(text, source), { ...options, source });
}

/** JSON.parse with a located, content-free error; a UTF-8 byte order mark is ignored. */
export function parseJsonText(text: string, source?: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return JSON.parse(body);
  } catch {
    // Located by our own scan: the engine's message is never parsed (its wording differs between
    // versions, and newer V8 quotes the input, which may hold a secret; so it is not kept as cause).
    const found = locateJsonError(body);
    const offset = found < 0 ? body.length : found;
    const { line, column } = lineAndColumn(body, offset);
    const what = offset >= body.length ? 'unexpected end of input' : 'unexpected character';
    throw new ConfigError(
      'config_json_syntax',
      [{ path: '', message: `JSON syntax error at line ${line}, column ${column}: ${what}` }],
      { source },
    );
  }
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < Math.min(offset, text.length); i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}
