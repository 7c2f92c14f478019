/**
 * Where a value was written in a parsed YAML document: the node at a path of
 * keys and indexes (aliases followed), with its key, or the nearest written
 * parent when the path goes further than the document. Error messages give
 * the file, line and column from the node's range.
 */
import { isAlias, isMap, isScalar, isSeq, type Document } from 'yaml';

export type YamlPath = readonly (string | number)[];

export type Positioned = { range?: readonly number[] | null };

export function locateYamlNode(doc: Document, path: YamlPath): { node: Positioned | null; key: Positioned | null; found: boolean } {
  let node: unknown = doc.contents;
  let key: unknown = null;
  for (const segment of path) {
    if (isAlias(node)) node = node.resolve(doc);
    let next: unknown;
    let nextKey: unknown = null;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
      next = pair?.value ?? pair?.key;
      nextKey = pair?.key ?? null;
    } else if (isSeq(node) && typeof segment === 'number') {
      next = node.items[segment];
    }
    if (next === undefined || next === null) return { node: node as Positioned, key: key as Positioned, found: false };
    node = next;
    key = nextKey;
  }
  return { node: node as Positioned, key: key as Positioned, found: true };
}
