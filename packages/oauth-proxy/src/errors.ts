/** An OAuth error answer (RFC 6749 §5.2, RFC 7591 §3.2.2): status, `error`, a description without secrets. */
export class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'OAuthError';
  }
}
