import { createClientLogger } from '@azure/logger';

/**
 * Where the kit's packages report: the same shape for inbound, outbound and tools. Lines name the
 * component and the reason, never a token, secret or private key.
 */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
}

/**
 * The default logger: `@azure/logger` under the name `mcp-auth-kit`, so `AZURE_LOG_LEVEL` (or
 * `setLogLevel`) decides what is written, as for the Azure SDK clients the kit uses; with no level
 * set, warnings still reach stderr.
 */
export function createDefaultLogger(): Logger {
  const azure = createClientLogger('mcp-auth-kit');
  const levelSet = process.env.AZURE_LOG_LEVEL !== undefined;
  return {
    info: (message) => azure.info(message),
    warn: (message) => (levelSet ? azure.warning(message) : console.warn(message)),
  };
}

/** An error's name and message for a log line, with anything shaped like a JWT removed, bounded. */
export function safeErrorMessage(error: unknown, options: { withName?: boolean } = {}): string {
  const e = error as { name?: unknown; message?: unknown } | null | undefined;
  const name = typeof e?.name === 'string' ? e.name : 'Error';
  const message = typeof e?.message === 'string' ? e.message : String(error);
  // `withName: false` gives the message alone, for a sentence that already says what failed
  return `${options.withName === false ? '' : `${name}: `}${message}`
    .replace(/eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.?[A-Za-z0-9_-]*/g, '[token]')
    .slice(0, 500);
}
