import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuthContextAccessor } from '@mcp-auth-kit/auth-core';
import { createAuthMiddleware, JwtBearerInboundSetup } from '@mcp-auth-kit/inbound-jwt';
import { EntraEmulator } from '@mcp-auth-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_ID, azureAdFor } from './helpers.js';

let emulator: EntraEmulator;
beforeAll(async () => {
  emulator = await EntraEmulator.start();
});
afterAll(async () => {
  await emulator.stop();
});

describe('createAuthMiddleware context propagation', () => {
  it.each([true, false])(
    'propagateContext %s: req.auth is always set; the accessor only when asked',
    async (propagateContext) => {
      const accessor = new AuthContextAccessor();
      const auth = createAuthMiddleware(new JwtBearerInboundSetup(azureAdFor(emulator), { accessor }), {
        accessor,
        propagateContext,
      });
      const server = createServer((req, res) =>
        auth(req, res, async () => {
          await new Promise((r) => setTimeout(r, 5));
          const info = (req as { auth?: { extra?: { principal?: { userPrincipalName?: string } } } }).auth;
          res.end(
            JSON.stringify({
              fromReq: info?.extra?.principal?.userPrincipalName ?? null,
              fromAccessor: accessor.current()?.principal.userPrincipalName ?? null,
            }),
          );
        }),
      );
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      try {
        const user = emulator.addUser({ userPrincipalName: 'ctx@contoso.com' });
        const token = await emulator.mintUserToken({ user, audience: APP_ID });
        const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`, {
          headers: { authorization: `Bearer ${token}` },
        });
        expect(await res.json()).toEqual({
          fromReq: 'ctx@contoso.com',
          fromAccessor: propagateContext ? 'ctx@contoso.com' : null,
        });
      } finally {
        server.close();
      }
    },
  );
});

describe('createAuthMiddleware and an async handler', () => {
  it('awaits what next returns: a rejection is logged once, without the token, and answered 500', async () => {
    const logs: string[] = [];
    const logger = { info: (m: string) => logs.push(m), warn: (m: string) => logs.push(m) };
    const auth = createAuthMiddleware(new JwtBearerInboundSetup(azureAdFor(emulator), { logger }), {
      propagateContext: false,
      logger,
    });
    const user = emulator.addUser({ userPrincipalName: 'async@contoso.com' });
    const token = await emulator.mintUserToken({ user, audience: APP_ID });
    const server = createServer((req, res) =>
      auth(req, res, async () => {
        await new Promise((r) => setTimeout(r, 5));
        throw new Error(`the handler broke holding ${token}`);
      }),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.status).toBe(500);
      const failures = logs.filter((l) => l.includes('failed unexpectedly'));
      expect(failures).toHaveLength(1);
      expect(failures[0]).toContain('the handler broke holding [token]');
      expect(logs.join('\n')).not.toContain(token.split('.')[2]!);
    } finally {
      server.close();
    }
  });
});
