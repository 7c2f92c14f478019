/**
 * Dereferencing turns a recursive schema (a tree node whose children are
 * tree nodes) into a cyclic object graph. A schema handed to callers must be
 * safe to serialise and to compile (Ajv walks a schema recursively), so every
 * edge that closes a cycle is replaced by `{}`, the schema that accepts
 * anything: validation is looser at the point of recursion, never wrong.
 *
 * The walk is a depth-first search with three colours, so shared sub-schemas
 * are visited once (linear time even on a DAG with much sharing). It mutates
 * the objects in place: they belong to the freshly dereferenced document.
 */

const MAX_DEPTH = 256;

export function breakCycles<T>(value: T): T {
  const onStack = new Set<object>();
  const done = new Set<object>();
  const visit = (node: object, depth: number): void => {
    onStack.add(node);
    const entries = Array.isArray(node) ? node.entries() : Object.entries(node);
    for (const [key, child] of entries) {
      if (typeof child !== 'object' || child === null || done.has(child)) continue;
      if (onStack.has(child) || depth >= MAX_DEPTH) {
        (node as Record<string | number, unknown>)[key] = {};
        continue;
      }
      visit(child, depth + 1);
    }
    onStack.delete(node);
    done.add(node);
  };
  if (typeof value === 'object' && value !== null) visit(value, 0);
  return value;
}
