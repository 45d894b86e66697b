/** Where providers report; lines name the credential and never carry a token or secret. */
export interface OutboundLogger {
  info(message: string): void;
  warn(message: string): void;
}

/** Writes warnings to stderr, drops info. */
export const consoleWarnLogger: OutboundLogger = {
  info: () => {},
  warn: (message) => console.warn(message),
};
