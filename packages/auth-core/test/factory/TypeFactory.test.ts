import { ConfigError, TypeFactory } from '@mcp-auth-kit/auth-core';
import { describe, expect, it } from 'vitest';

type Section = { type: string; n: number };

describe('TypeFactory', () => {
  it('builds for the type its arguments carry, and names an unknown type and the known ones', () => {
    const factory = new TypeFactory<[Section], string>('outboundAuthentication.type', (s) => s.type, {
      A: (s) => `a${s.n}`,
    });
    factory.register('B', (s) => `b${s.n}`);
    expect(factory.create({ type: 'A', n: 1 })).toBe('a1');
    expect(factory.create({ type: 'B', n: 2 })).toBe('b2');
    try {
      factory.create({ type: 'Kerberos', n: 3 });
      throw new Error('expected failure');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).issues).toEqual([
        { path: 'outboundAuthentication.type', message: "unknown type 'Kerberos'; known types: A, B" },
      ]);
    }
  });

  it('keeps instances independent (no global registry)', () => {
    const one = new TypeFactory<[], string>('t', () => 'X');
    const two = new TypeFactory<[], string>('t', () => 'X');
    one.register('X', () => 'x');
    expect(one.has('X')).toBe(true);
    expect(two.has('X')).toBe(false);
    expect(one.create()).toBe('x');
  });

  it('refuses an empty type name', () => {
    expect(() => new TypeFactory<[], string>('t', () => '').register(' ', () => '')).toThrow(TypeError);
  });
});
