/**
 * From a JSON Pointer into the dereferenced document back to the file, line
 * and column where that node is written.
 *
 * The parser hands out the document with every `$ref` replaced, which loses
 * positions; the `yaml` package keeps them (it reads JSON too, JSON being
 * YAML 1.2). So the pointer is walked again over the *raw* files, following
 * each `$ref` met on the way into the file it names: a finding on a split
 * document (DigitalOcean's ~2,900 files) points into the file that holds the
 * node, not at the `$ref` line of the root file. Files are parsed on first
 * use and kept for the run.
 */

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Document, Node } from 'yaml';
import { pointerSegments } from './json-pointer.ts';

export { escapePointerSegment, pointerOf, pointerSegments } from './json-pointer.ts';

export interface SourcePosition {
  /** absolute path of the file that holds the node */
  file: string;
  /** 1-based */
  line?: number;
  /** 1-based */
  column?: number;
}

export interface Locator {
  /** where the node at `pointer` of the document `rootFile` (absolute) is written */
  locate(rootFile: string, pointer: string): SourcePosition;
}

interface ParsedFile {
  doc: Document.Parsed;
  lineCounter: LineCounter;
}

interface Cursor {
  file: string;
  parsed: ParsedFile;
  node: unknown;
  /** the key of the pair whose value is `node`: its position is the one to show ("get:" rather than the line below) */
  keyNode?: Node;
}

/** `$ref`s followed for one pointer, at most: a cycle of references must end. */
const MAX_REF_HOPS = 64;

export function createLocator(): Locator {
  const files = new Map<string, ParsedFile | null>();

  function load(file: string): ParsedFile | null {
    if (files.has(file)) return files.get(file) ?? null;
    let parsed: ParsedFile | null;
    try {
      const lineCounter = new LineCounter();
      const doc = parseDocument(readFileSync(file, 'utf8'), { lineCounter, uniqueKeys: false, keepSourceTokens: false });
      parsed = { doc, lineCounter };
    } catch {
      parsed = null;
    }
    files.set(file, parsed);
    return parsed;
  }

  function root(file: string): Cursor | null {
    const parsed = load(file);
    return parsed ? { file, parsed, node: parsed.doc.contents } : null;
  }

  function unalias(cursor: Cursor): unknown {
    let node = cursor.node;
    // YAML aliases (`*anchor`) point at another node of the same file.
    for (let i = 0; i < MAX_REF_HOPS && isAlias(node); i++) node = node.resolve(cursor.parsed.doc);
    return node;
  }

  function refOf(node: unknown): string | null {
    if (!isMap(node)) return null;
    const pair = node.items.find((p) => isScalar(p.key) && p.key.value === '$ref');
    return pair && isScalar(pair.value) && typeof pair.value.value === 'string' ? pair.value.value : null;
  }

  /** The node a `$ref` names, or null when it is remote or cannot be found. */
  function follow(from: Cursor, ref: string, hops: { n: number }): Cursor | null {
    if (++hops.n > MAX_REF_HOPS) return null;
    const hash = ref.indexOf('#');
    const filePart = hash === -1 ? ref : ref.slice(0, hash);
    const fragment = hash === -1 ? '' : ref.slice(hash);
    let target: string;
    if (filePart === '') target = from.file;
    else if (filePart.startsWith('file:')) target = fileURLToPath(filePart);
    else if (/^[a-z][a-z0-9+.-]*:/i.test(filePart)) return null; // http(s): not read here
    else target = resolve(dirname(from.file), safeDecodeUri(filePart));
    const start = root(target);
    return start ? walk(start, pointerSegments(fragment === '' ? '' : fragment), hops) : null;
  }

  function step(cursor: Cursor, segment: string, hops: { n: number }): Cursor | null {
    const node = unalias(cursor);
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === segment);
      if (pair) return { file: cursor.file, parsed: cursor.parsed, node: pair.value, keyNode: pair.key as Node };
      const ref = refOf(node);
      if (ref !== null) {
        const target = follow(cursor, ref, hops);
        return target ? step(target, segment, hops) : null;
      }
      return null;
    }
    if (isSeq(node) && /^(0|[1-9]\d*)$/.test(segment)) {
      const item = node.items[Number(segment)];
      return item === undefined ? null : { file: cursor.file, parsed: cursor.parsed, node: item };
    }
    return null;
  }

  /** Walks as far as the raw files go; stops at the deepest node found. */
  function walk(start: Cursor, segments: readonly string[], hops: { n: number }): Cursor {
    let cursor = start;
    for (const segment of segments) {
      const next = step(cursor, segment, hops);
      if (next === null) return cursor;
      cursor = next;
    }
    // The node is itself a reference: its content is written where it points.
    for (let ref = refOf(unalias(cursor)); ref !== null; ref = refOf(unalias(cursor))) {
      const target = follow(cursor, ref, hops);
      if (target === null) break;
      cursor = target;
    }
    return cursor;
  }

  return {
    locate(rootFile, pointer) {
      const start = root(rootFile);
      if (start === null) return { file: rootFile };
      const cursor = walk(start, pointerSegments(pointer), { n: 0 });
      const anchor = cursor.keyNode ?? (cursor.node as Node | null);
      const offset = anchor?.range?.[0];
      if (offset === undefined) return { file: cursor.file };
      const { line, col } = cursor.parsed.lineCounter.linePos(offset);
      return { file: cursor.file, line, column: col };
    },
  };
}

function safeDecodeUri(text: string): string {
  try {
    return decodeURI(text);
  } catch {
    return text;
  }
}
