import {
  AuthContextAccessor,
  AuthCoreError,
  createRequestAuthContext,
  fromAuthInfo,
  toAuthInfo,
} from '@mcp-auth-kit/auth-core';
import { describe, expect, it } from 'vitest';

const exp = Math.floor(Date.now() / 1000) + 3600;
const userClaims = {
  aud: 'api://app',
  tid: '70A036F6-8E4D-4615-BAD6-149C02E7720D',
  oid: '11111111-2222-3333-4444-555555555555',
  upn: 'alice@contoso.com',
  preferred_username: 'alice@other',
  name: 'Alice',
  azp: 'client-app',
  scp: 'mcp.tools  user.read',
  exp,
};

describe('createRequestAuthContext', () => {
  it('derives a user principal from a delegated token', () => {
    const ctx = createRequestAuthContext('raw', userClaims);
    expect(ctx.principal).toEqual({
      kind: 'user',
      tenantId: '70a036f6-8e4d-4615-bad6-149c02e7720d',
      objectId: '11111111-2222-3333-4444-555555555555',
      userPrincipalName: 'alice@contoso.com',
      appId: 'client-app',
      name: 'Alice',
    });
    expect(ctx.scopes).toEqual(['mcp.tools', 'user.read']);
    expect(ctx.expiresOnTimestampMs).toBe(exp * 1000);
    expect(Object.isFrozen(ctx.claims)).toBe(true);
  });

  it('derives an app principal from an application token', () => {
    const ctx = createRequestAuthContext('raw', {
      aud: 'a',
      tid: 't',
      oid: 'o',
      appid: 'daemon',
      roles: ['Mcp.Invoke', 7],
      exp,
    });
    expect(ctx.principal.kind).toBe('app');
    expect(ctx.principal.userPrincipalName).toBeUndefined();
    expect(ctx.principal.appId).toBe('daemon');
    expect(ctx.roles).toEqual(['Mcp.Invoke']);
  });

  it('refuses claims without tid, oid, exp or aud', () => {
    expect(() => createRequestAuthContext('raw', { scp: 'x' })).toThrowError(/tid, oid, exp, aud/);
  });
});

describe('AuthInfo conversion', () => {
  it('round-trips through the MCP SDK AuthInfo shape with expiresAt in seconds', () => {
    const ctx = createRequestAuthContext('the-token', userClaims);
    const info = toAuthInfo(ctx, new URL('https://mcp.example.com/mcp'));
    expect(info).toMatchObject({
      token: 'the-token',
      clientId: 'client-app',
      scopes: ['mcp.tools', 'user.read'],
      expiresAt: exp,
    });
    expect(info.resource?.href).toBe('https://mcp.example.com/mcp');
    expect(fromAuthInfo(info)).toEqual(ctx);
  });

  it('refuses an AuthInfo without claims', () => {
    expect(() => fromAuthInfo({ token: 't', clientId: 'c', scopes: [] })).toThrowError(AuthCoreError);
  });
});

describe('AuthContextAccessor', () => {
  it('keeps concurrent requests apart across awaits', async () => {
    const accessor = new AuthContextAccessor();
    const seen = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        accessor.run(createRequestAuthContext(`t${i}`, { ...userClaims, oid: `oid-${i}` }), async () => {
          await new Promise((r) => setTimeout(r, (i * 7) % 13));
          return accessor.require().principal.objectId;
        }),
      ),
    );
    expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => `oid-${i}`));
  });

  it('has no context outside a request, and says so with a stable code', () => {
    const accessor = new AuthContextAccessor();
    expect(accessor.current()).toBeUndefined();
    try {
      accessor.require('On-Behalf-Of');
      throw new Error('expected failure');
    } catch (error) {
      expect((error as AuthCoreError).code).toBe('no_request_context');
      expect((error as Error).message).toContain('On-Behalf-Of');
    }
  });

  it('keeps two accessors independent', () => {
    const a = new AuthContextAccessor();
    const b = new AuthContextAccessor();
    a.run(createRequestAuthContext('t', userClaims), () => {
      expect(a.current()).toBeDefined();
      expect(b.current()).toBeUndefined();
    });
  });
});
