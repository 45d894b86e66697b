/** Where providers report; lines name the credential and never carry a token or secret. */
import type { Logger } from '@mcp-auth-kit/auth-core';

/** @deprecated auth-core's `Logger` (the same shape): one logger type for the whole kit. */
export type OutboundLogger = Logger;

/** Writes warnings to stderr, drops info. */
export const consoleWarnLogger: Logger = {
  info: () => {},
  warn: (message) => console.warn(message),
};
