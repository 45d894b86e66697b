// auth-core's public surface stays small: what a server author uses. The plumbing the kit's own
// packages share (telemetry, claims challenges, the metadata-document fetch) is on the internal
// subpath, which may change in any release.
import * as core from '@mcp-auth-kit/auth-core';
import * as internal from '@mcp-auth-kit/auth-core/internal';
import { describe, expect, it } from 'vitest';

describe('the public surface of auth-core', () => {
  it('exports about twenty values and none of the plumbing', () => {
    const values = Object.keys(core);
    expect(values.length).toBeLessThanOrEqual(20);
    for (const plumbing of Object.keys(internal)) expect(values).not.toContain(plumbing);
    expect(Object.keys(internal)).toEqual(
      expect.arrayContaining(['withSpan', 'recordInbound', 'takeClaimsChallenge', 'fetchMetadataDocument']),
    );
  });
});
