// What a doctor check answers, and what a run of them is.
export type CheckStatus = 'pass' | 'fail' | 'skip';

export interface CheckResult {
  readonly name: string;
  readonly status: CheckStatus;
  /** What was found (pass), or what went wrong and why (fail), or why it did not run (skip). */
  readonly detail: string;
  /** For a failure: what to change. */
  readonly fix?: string;
}

export interface DoctorOptions {
  readonly configPath: string;
  /** The public MCP URL clients use (the app's Application ID URI). */
  readonly resourceUrl?: string;
  /** A user's access token for this server: also checks one On-Behalf-Of exchange and one database login. */
  readonly token?: string;
  /** Per network step; default 10 000 ms. */
  readonly timeoutMs?: number;
}

export interface DoctorReport {
  readonly ok: boolean;
  readonly checks: readonly CheckResult[];
}

/** Entra ID error codes a deployment meets, with the fix: auth-core's one catalogue. */
