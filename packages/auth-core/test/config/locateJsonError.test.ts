import { parseJsonText } from '@mcp-auth-kit/auth-core';
import { describe, expect, it } from 'vitest';
import { locateJsonError } from '../../src/config/locateJsonError.js';

describe('locating a JSON syntax error without the engine’s message', () => {
  it.each([
    ['{"a": 1,}', 8],
    ['{"a" 1}', 5],
    ['[1, 2', 5],
    ['{"a": tru}', 9],
    ['{"a": "x\ny"}', 8],
    ['{"a": 01}', 7],
    ['{"a": "\\q"}', 8],
    ['{} x', 3],
    ['', 0],
  ])('%j fails at offset %i', (text, offset) => {
    expect(() => JSON.parse(text)).toThrow();
    expect(locateJsonError(text)).toBe(offset);
  });

  it('accepts what JSON.parse accepts', () => {
    for (const text of ['{"a":[1,-2.5e3,true,false,null,"\\u00e9\\n"]}', ' [ ] ', '"x"', '0']) {
      expect(() => JSON.parse(text)).not.toThrow();
      expect(locateJsonError(text)).toBe(-1);
    }
  });

  it('reports line and column and never the content, whatever the engine says', () => {
    const secret = 'SuperSecret123';
    const error = (() => {
      try {
        parseJsonText(`{\n  "secret": "${secret}",\n  "x": ]\n}`, 'appsettings.json');
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error?.message).toContain('line 3, column 8: unexpected character');
    expect(error?.message).not.toContain(secret);
    expect((error as Error & { cause?: unknown }).cause).toBeUndefined();
  });
});
