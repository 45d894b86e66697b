/** The emulator's endpoints, each of which can be faulted independently. */
export type EmulatorEndpoint = 'discovery' | 'jwks' | 'token' | 'managedIdentity' | 'keyVault' | 'arm';

/**
 * What a faulted endpoint does: `down` closes the connection without an answer, `slow` answers
 * after `delayMs`, `status` answers with that HTTP status (and an Entra-shaped error body; with `retryAfterSeconds`, a
 * `Retry-After` header too, as Entra ID sends when it rate-limits).
 */
export type Fault =
  | { readonly kind: 'down' }
  | { readonly kind: 'slow'; readonly delayMs: number }
  | { readonly kind: 'status'; readonly status: number; readonly retryAfterSeconds?: number };
