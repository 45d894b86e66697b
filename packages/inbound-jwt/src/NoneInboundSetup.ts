import type { IInboundAuthSetup, InboundOutcome } from '@mcp-auth-kit/auth-core';

/** The `None` inbound setup: every request is anonymous (loopback development only). */
export class NoneInboundSetup implements IInboundAuthSetup {
  readonly type = 'None';

  async authenticate(): Promise<InboundOutcome> {
    return { kind: 'anonymous' };
  }
}
