// The configuration file: loaded and validated, every problem with its JSON path.
import { ConfigError } from '@mcp-auth-kit/auth-core';
import { type ExampleConfig, loadExampleConfig } from '../exampleConfig.js';
import type { CheckResult } from './types.js';

export async function checkConfig(path: string): Promise<{ result: CheckResult; config?: ExampleConfig }> {
  try {
    const config = await loadExampleConfig(path);
    const a = config.auth;
    return {
      config,
      result: {
        name: 'configuration',
        status: 'pass',
        detail: `${path}: inbound ${a.inboundAuthentication.type}, outbound ${a.outboundAuthentication.type}${a.outboundAuthentication.clientCredential ? ` (${a.outboundAuthentication.clientCredential.kind})` : ''}`,
      },
    };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return {
      result: {
        name: 'configuration',
        status: 'fail',
        detail: error.issues.map((i) => `${i.path || '(file)'}: ${i.message}`).join('; '),
        fix: 'correct the fields named (the README configuration reference lists each type and what it needs)',
      },
    };
  }
}

/** OIDC discovery: reachable, and naming an issuer, endpoints and a key set. */
