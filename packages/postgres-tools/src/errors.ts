import { McpAuthKitError } from '@mcp-auth-kit/auth-core';

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
  | 'busy'
  | 'throttled'
  | 'azure_error';

/** A failure a tool reports to the model: the message is safe (no token, password or connection string). */
export class PostgresToolError extends McpAuthKitError<PostgresToolErrorCode> {
  constructor(
    code: PostgresToolErrorCode,
    message: string,
    options: { cause?: unknown; retryable?: boolean } = {},
  ) {
    // retryable: the same call may succeed later (the server or the caller's connections were busy)
    super(code, message, {
      ...options,
      retryable:
        options.retryable ??
        (code === 'busy' || code === 'unreachable' || code === 'timeout' || code === 'throttled'),
    });
    this.name = 'PostgresToolError';
  }
}
