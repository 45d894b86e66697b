/** Stable codes of every error auth-core throws; branch on these, never on message text. */
export type AuthCoreErrorCode =
  | 'config_invalid'
  | 'config_file_unreadable'
  | 'config_json_syntax'
  | 'no_request_context'
  | 'invalid_auth_info'
  /** A Client ID Metadata Document could not be fetched or is not acceptable (the message says why). */
  | 'metadata_document_invalid';

/**
 * The root of every error the kit's packages throw. `code` is stable (branch on it, never on the
 * message); `retryable` says whether the same call may succeed later; `cause` keeps the underlying
 * error. Messages never carry a token, secret or private key.
 */
export class McpAuthKitError<Code extends string = string> extends Error {
  readonly code: Code;
  readonly retryable: boolean;

  constructor(code: Code, message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'McpAuthKitError';
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}

/** Base class of the errors thrown by auth-core. */
export class AuthCoreError extends McpAuthKitError<AuthCoreErrorCode> {
  constructor(code: AuthCoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'AuthCoreError';
  }
}

/** One problem found in a configuration, located by its JSON path (e.g. `outboundAuthentication.clientId`). */
export interface ConfigIssue {
  readonly path: string;
  readonly message: string;
}

/** A configuration that cannot be used; `issues` lists every problem, each with its JSON path. */
export class ConfigError extends AuthCoreError {
  readonly issues: readonly ConfigIssue[];
  readonly source: string | undefined;

  constructor(
    code: Extract<AuthCoreErrorCode, `config_${string}`>,
    issues: readonly ConfigIssue[],
    options?: { source?: string; cause?: unknown },
  ) {
    const where = options?.source ? ` in ${options.source}` : '';
    const lines = issues.map((i) => `  - ${i.path ? `${i.path}: ` : ''}${i.message}`);
    super(code, `Invalid configuration${where}:\n${lines.join('\n')}`, options);
    this.name = 'ConfigError';
    this.issues = issues;
    this.source = options?.source;
  }
}
