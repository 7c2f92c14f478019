/**
 * JSON bodies read by the gateway (rate-limit keys, object-level rules) must
 * mean to the gateway what they mean to the upstream. RFC 8259 §4 leaves
 * duplicate member names undefined: JSON.parse keeps the last, other parsers
 * the first or fail. A body such as {"phone":"+1555...","phone":"+1666..."}
 * could then be limited on one number and answered for the other, so any
 * duplicate name anywhere in the document is refused.
 *
 * JSON.parse cannot report duplicates (its reviver sees the merged object),
 * so a small scanner checks member names first; JSON.parse still does the
 * parsing and the syntax check.
 */

export type StrictJsonResult =
  | { ok: true; value: unknown }
  | { ok: false; reason: 'syntax' | 'duplicate-key' | 'too-deep' };

/** Deeper nesting than this is refused (a stack-exhaustion guard; real API bodies are far shallower). */
const MAX_DEPTH = 64;

export function parseStrictJson(text: string): StrictJsonResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'syntax' };
  }
  const problem = findDuplicateKey(text);
  return problem === null ? { ok: true, value } : { ok: false, reason: problem };
}

/**
 * Scans syntactically valid JSON (JSON.parse accepted it) for an object with
 * a repeated member name, compared after unescaping ("a" and "\u0061" are
 * the same name).
 */
function findDuplicateKey(text: string): 'duplicate-key' | 'too-deep' | null {
  // one entry per open container: a Set of names for objects, null for arrays
  const stack: Array<Set<string> | null> = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x7b /* { */) {
      if (stack.length >= MAX_DEPTH) return 'too-deep';
      stack.push(new Set());
      expectKey = true;
    } else if (c === 0x5b /* [ */) {
      if (stack.length >= MAX_DEPTH) return 'too-deep';
      stack.push(null);
      expectKey = false;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
      expectKey = false;
    } else if (c === 0x2c /* , */) {
      expectKey = stack.at(-1) instanceof Set;
    } else if (c === 0x22 /* " */) {
      const end = endOfString(text, i);
      if (expectKey) {
        const raw = text.slice(i, end + 1);
        const name = raw.includes('\\') ? (JSON.parse(raw) as string) : raw.slice(1, -1);
        const names = stack.at(-1) as Set<string>;
        if (names.has(name)) return 'duplicate-key';
        names.add(name);
        expectKey = false;
      }
      i = end;
    }
  }
  return null;
}

/** Index of the closing quote of the string opening at `start`. */
function endOfString(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c /* \ */) i++;
    else if (c === 0x22) return i;
  }
  return text.length - 1;
}
