import type { z } from 'zod';
import type { ConfigIssue } from '../errors.js';
import type { FieldRule } from './rules.js';
import { KNOWN_KEYS } from './schema.js';

/** zod's issues as ConfigIssues: JSON paths, "did you mean" hints, and never a value from the input. */
export function zodIssues(error: z.ZodError, input: unknown): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of error.issues) {
    const base = formatPath(issue.path);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const hint = KNOWN_KEYS.find((k) => k.toLowerCase() === key.toLowerCase() && k !== key);
        out.push({
          path: joinPath(base, key),
          message: hint ? `unknown key (did you mean "${hint}"?)` : 'unknown key',
        });
      }
      continue;
    }
    // Only "is it missing" is read from the input; input values never reach a message.
    const missing = issue.path.length > 0 && valueAt(input, issue.path) === undefined;
    const message = missing ? 'required' : issue.message.replace(/^Invalid input: /, '');
    out.push({ path: base, message });
  }
  return out;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : joinPath(acc, String(key))),
    '',
  );
}

export function joinPath(base: string, key: string): string {
  return base ? `${base}.${key}` : key;
}

export function checkFields(
  path: string,
  owner: string,
  present: Record<string, unknown>,
  rules: Readonly<Record<string, FieldRule | undefined>>,
  issues: ConfigIssue[],
): void {
  for (const [field, value] of Object.entries(present)) {
    const rule = rules[field];
    if (value !== undefined && rule === undefined) {
      issues.push({ path: joinPath(path, field), message: `not allowed for ${owner}` });
    }
  }
  for (const [field, rule] of Object.entries(rules)) {
    if (rule === 'required' && present[field] === undefined) {
      issues.push({ path: joinPath(path, field), message: `required for ${owner}` });
    }
  }
}
