import { OutboundCredentialError } from './errors.js';

/** The resource a scope addresses: `https://x/.default` → `https://x`, `api://id/read` → `api://id`. */
export function resourceOfScope(scope: string): string {
  if (scope.endsWith('/.default')) return scope.slice(0, -'/.default'.length);
  const slash = scope.lastIndexOf('/');
  return slash > scope.indexOf('//') + 1 ? scope.slice(0, slash) : scope;
}

export function normaliseScopes(scopes: string | string[]): string[] {
  const list = (Array.isArray(scopes) ? scopes : [scopes]).map((s) => s.trim()).filter((s) => s !== '');
  if (list.length === 0) throw new OutboundCredentialError('invalid_scope', 'at least one scope is required');
  return list;
}
