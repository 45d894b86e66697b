/** How deep a JSON-RPC body may nest; MCP messages with their tool arguments stay far below it. */
export const MAX_JSON_DEPTH = 128;

/**
 * Whether a parsed JSON value nests deeper than `max` levels (arrays and objects). Iterative, so a
 * body nested 100,000 levels deep is measured without exhausting the stack (JSON.parse parses it;
 * the SDK's recursive validation of it would not survive).
 */
export function jsonDeeperThan(value: unknown, max = MAX_JSON_DEPTH): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth > max) return true;
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}
