/** Stable codes of the tool errors; each becomes a tool result with `isError: true` and clear text. */
export type PostgresToolErrorCode =
  | 'no_caller'
  | 'server_not_allowed'
  | 'login_failed'
  | 'permission_denied'
  | 'timeout'
  | 'unreachable'
  | 'read_only'
  | 'not_found'
  | 'query_error'
  | 'credential_error'
  | 'invalid_input'
  | 'busy';

/** A failure a tool reports to the model: the message is safe (no token, password or connection string). */
export class PostgresToolError extends Error {
  readonly code: PostgresToolErrorCode;
  /** The same call may succeed later (the server or the caller's connections were busy). */
  readonly retryable: boolean;

  constructor(
    code: PostgresToolErrorCode,
    message: string,
    options: { cause?: unknown; retryable?: boolean } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'PostgresToolError';
    this.code = code;
    this.retryable = options.retryable ?? (code === 'busy' || code === 'unreachable' || code === 'timeout');
  }
}
