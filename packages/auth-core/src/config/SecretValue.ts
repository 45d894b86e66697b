import { inspect } from 'node:util';

const REDACTED = '[redacted]';

/**
 * A secret from configuration that does not print itself: `String()`, `JSON.stringify` and
 * `util.inspect` (so `console.log` and loggers) all show `[redacted]`; `reveal()` gives the value.
 */
export class SecretValue {
  readonly #value: string;
  /** Where the value came from, safe to show (`inline` or `env:NAME`). */
  readonly origin: string;

  constructor(value: string, origin = 'inline') {
    this.#value = value;
    this.origin = origin;
  }

  /** The secret itself; pass it only to the component that needs it. */
  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return `SecretValue(${REDACTED}, ${this.origin})`;
  }
}
