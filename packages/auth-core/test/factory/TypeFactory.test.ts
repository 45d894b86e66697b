import { ConfigError, TypeFactory } from '@mcp-auth-kit/auth-core';
import { describe, expect, it } from 'vitest';

describe('TypeFactory', () => {
  it('builds registered types and lists the known ones for an unknown type', () => {
    const factory = new TypeFactory<[number], string>('outboundAuthentication.type', { A: (n) => `a${n}` });
    factory.register('B', (n) => `b${n}`);
    expect(factory.create('A', 1)).toBe('a1');
    expect(factory.create('B', 2)).toBe('b2');
    try {
      factory.create('C', 3);
      throw new Error('expected failure');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).issues).toEqual([
        { path: 'outboundAuthentication.type', message: 'unknown type "C"; known types: A, B' },
      ]);
    }
  });

  it('keeps instances independent (no global registry)', () => {
    const one = new TypeFactory<[], string>('t');
    const two = new TypeFactory<[], string>('t');
    one.register('X', () => 'x');
    expect(one.has('X')).toBe(true);
    expect(two.has('X')).toBe(false);
  });

  it('refuses an empty type name', () => {
    expect(() => new TypeFactory<[], string>('t').register(' ', () => '')).toThrow(TypeError);
  });
});
