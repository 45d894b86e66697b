// The stages every adapter shares, driven as a host of one's own would (README, "The stages, for a
// host of your own"): real tokens from the emulator, real Requests.
import type { IInboundAuthSetup } from '@mcp-auth-kit/auth-core';
import {
  answerResponse,
  authenticationStage,
  FetchRequestView,
  JwtBearerInboundSetup,
  toolPolicyStage,
} from '@mcp-auth-kit/inbound-jwt';
import { type EmulatedUser, EntraEmulator } from '@mcp-auth-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_ID, azureAdFor } from './helpers.js';

let emulator: EntraEmulator;
let alice: EmulatedUser;
const resourceUrl = 'https://mcp.contoso.com/mcp';

beforeAll(async () => {
  emulator = await EntraEmulator.start();
  alice = emulator.addUser({ userPrincipalName: 'alice@contoso.com' });
});
afterAll(async () => {
  await emulator.stop();
});

const request = (token?: string, body?: unknown) =>
  new Request(resourceUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

describe('authenticationStage', () => {
  it('validates a new token through a promise, answers the same token at once afterwards, and refuses without one', async () => {
    const authenticate = authenticationStage(
      new JwtBearerInboundSetup(azureAdFor(emulator), { resourceUrl }),
    );
    const token = await emulator.mintUserToken({ user: alice, audience: APP_ID, scopes: ['mcp.tools'] });
    const first = authenticate(new FetchRequestView(request(token), { resourceUrl }));
    expect(first).toBeInstanceOf(Promise);
    expect(await first).toMatchObject({ kind: 'pass', context: { principal: { objectId: alice.objectId } } });
    const again = authenticate(new FetchRequestView(request(token), { resourceUrl }));
    expect(again).not.toBeInstanceOf(Promise);
    expect(again).toMatchObject({ kind: 'pass', context: { principal: { objectId: alice.objectId } } });
    const refused = await authenticate(new FetchRequestView(request(), { resourceUrl }));
    if (refused.kind !== 'answer') throw new Error('expected a refusal');
    const response = answerResponse(refused.answer);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(
      'Bearer realm="mcp", resource_metadata="https://mcp.contoso.com/.well-known/oauth-protected-resource/mcp", scope="https://mcp.contoso.com/mcp/.default"',
    );
  });

  it('takes a setup of its own that returns a thenable rather than a native promise, and one that throws', async () => {
    const thenable: IInboundAuthSetup = {
      type: 'Custom',
      authenticate: () =>
        ({
          // biome-ignore lint/suspicious/noThenProperty: a non-native thenable is what this test hands over
          then: (resolve: (v: unknown) => void) => resolve({ kind: 'anonymous' }),
        }) as never,
    };
    const step = authenticationStage(thenable)(new FetchRequestView(request(), { resourceUrl }));
    expect(step).toBeInstanceOf(Promise);
    expect(await step).toEqual({ kind: 'pass', context: undefined });
    const logs: string[] = [];
    const throwing: IInboundAuthSetup = {
      type: 'Broken',
      authenticate: () => {
        throw new Error('broken setup');
      },
    };
    const broken = await authenticationStage(throwing, {
      logger: { info: () => {}, warn: (m) => logs.push(m) },
    })(new FetchRequestView(request(), { resourceUrl }));
    expect(broken).toMatchObject({ kind: 'answer', answer: { status: 503 } });
    expect(logs).toEqual(['Inbound auth: Broken failed unexpectedly: Error: broken setup']);
  });
});

describe('toolPolicyStage', () => {
  it('reads a 2025 body from a clone, refuses a tool the caller may not use with 403 naming the scope, and leaves the request readable', async () => {
    const policy = toolPolicyStage({ admin_tool: { scopes: ['mcp.admin'] } });
    const body = {
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'admin_tool', arguments: {} },
    };
    const req = request(undefined, body);
    const refusal = await policy(new FetchRequestView(req, { resourceUrl }), () => undefined);
    expect(refusal).toMatchObject({ status: 403 });
    expect(refusal?.headers['www-authenticate']).toContain('scope="https://mcp.contoso.com/mcp/mcp.admin"');
    expect(await req.json()).toEqual(body);
    const other = { ...body, params: { name: 'free_tool', arguments: {} } };
    expect(
      await policy(new FetchRequestView(request(undefined, other), { resourceUrl }), () => undefined),
    ).toBe(undefined);
    const malformed = await policy(
      new FetchRequestView(new Request(resourceUrl, { method: 'POST', body: '{"jsonrpc":' }), {
        resourceUrl,
      }),
      () => undefined,
    );
    expect(malformed).toMatchObject({ status: 400 });
    expect(JSON.parse(malformed!.body)).toMatchObject({ error: { code: -32700 } });
  });

  it('refuses an endless body with 413 once past the limit, having read no further', async () => {
    const policy = toolPolicyStage({ admin_tool: { scopes: ['mcp.admin'] } }, { maxBodyBytes: 64 * 1024 });
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 16 * 1024;
        controller.enqueue(new Uint8Array(16 * 1024).fill(0x20));
      },
    });
    const req = new Request(resourceUrl, { method: 'POST', body: endless, duplex: 'half' } as RequestInit);
    const refusal = await policy(new FetchRequestView(req, { resourceUrl }), () => undefined);
    expect(refusal).toMatchObject({ status: 413 });
    expect(pulled).toBeLessThan(1024 * 1024);
  });
});
