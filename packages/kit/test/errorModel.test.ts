import { McpAuthKitError } from '@mcp-auth-kit/auth-core';
import { InboundAuthError } from '@mcp-auth-kit/inbound-jwt';
import { OutboundCredentialError } from '@mcp-auth-kit/outbound-credentials';
import { PostgresToolError } from '@mcp-auth-kit/postgres-tools';
import { describe, expect, it } from 'vitest';

describe('one root error class', () => {
  it('every package’s errors extend McpAuthKitError with a stable code and retryable', () => {
    const errors = [
      new InboundAuthError('provider_unavailable', 'x'),
      new OutboundCredentialError('provider_unavailable', 'x'),
      new PostgresToolError('busy', 'x'),
      new PostgresToolError('permission_denied', 'x'),
    ];
    for (const e of errors) expect(e).toBeInstanceOf(McpAuthKitError);
    expect(errors.map((e) => [e.code, e.retryable])).toEqual([
      ['provider_unavailable', true],
      ['provider_unavailable', true],
      ['busy', true],
      ['permission_denied', false],
    ]);
  });
});
