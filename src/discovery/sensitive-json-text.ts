/**
 * Walks the string and number values of JSON text that may be cut short
 * (body samples are truncated at a byte cap) or malformed, with their paths.
 * It is a tokenizer with a stack of open containers, not a parser: it never
 * fails, resynchronises on the next token, and reads each character once.
 * A string or number that the text cuts off is skipped: a partial value
 * ("+1415") must not be classified as a whole one.
 */
import { itemsPath, mapValuesPath, propertyPath, isIdLikeKey } from './json-shape-keys.ts';

export type LeafVisitor = (value: string | number, path: string, name: string | undefined) => void;

interface Frame {
  isObject: boolean;
  path: string;
  /** the field name that values inside inherit (an array's elements take the array's name) */
  name: string | undefined;
  key: string | undefined;
  expectKey: boolean;
}

/** Index of the quote that closes the string opening before `from`, or -1 when the text ends first. */
function stringEnd(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) return i;
    if (c === 92) i++; // skip the escaped character
  }
  return -1;
}

function decodeString(raw: string): string | undefined {
  if (!raw.includes('\\')) return raw.slice(1, -1);
  try {
    return JSON.parse(raw) as string;
  } catch {
    return undefined;
  }
}

function isDelimiter(c: number): boolean {
  return c === 44 || c === 93 || c === 125 || c === 58 || c === 34 || c === 32 || c === 10 || c === 13 || c === 9
    || c === 91 || c === 123;
}

/**
 * Calls `visit` for each complete string or number value, in text order,
 * until `maxValues` values and containers have been seen. Unless the caller
 * knows that the text is whole (`isTruncated` false), a number that ends the
 * text may have lost digits and is skipped.
 */
export function walkJsonText(text: string, visit: LeafVisitor, maxValues: number, isTruncated = true): void {
  const stack: Frame[] = [];
  let seen = 0;
  let i = 0;
  const n = text.length;

  const placeOfValue = (): { path: string; name: string | undefined } => {
    const top = stack[stack.length - 1];
    if (!top) return { path: '', name: undefined };
    if (!top.isObject) return { path: itemsPath(top.path), name: top.name };
    const key = top.key ?? '?';
    return isIdLikeKey(key) ? { path: mapValuesPath(top.path), name: top.name } : { path: propertyPath(top.path, key), name: key };
  };

  // hot path: one pass over the sample
  while (i < n && seen < maxValues) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 10 || c === 13 || c === 9) {
      i++;
    } else if (c === 123 || c === 91) { // { [
      const { path, name } = placeOfValue();
      stack.push({ isObject: c === 123, path, name, key: undefined, expectKey: c === 123 });
      seen++;
      i++;
    } else if (c === 125 || c === 93) { // } ]
      stack.pop();
      i++;
    } else if (c === 44) { // ,
      const top = stack[stack.length - 1];
      if (top?.isObject) {
        top.expectKey = true;
        top.key = undefined;
      }
      i++;
    } else if (c === 58) { // :
      const top = stack[stack.length - 1];
      if (top?.isObject) top.expectKey = false;
      i++;
    } else if (c === 34) { // "
      const end = stringEnd(text, i + 1);
      if (end < 0) return; // cut off inside a string
      const value = decodeString(text.slice(i, end + 1));
      i = end + 1;
      const top = stack[stack.length - 1];
      if (top?.isObject && top.expectKey) {
        top.key = value;
        top.expectKey = false;
      } else if (value !== undefined) {
        seen++;
        const { path, name } = placeOfValue();
        visit(value, path, name);
      }
    } else {
      let end = i + 1;
      while (end < n && !isDelimiter(text.charCodeAt(end))) end++;
      if (end === n && isTruncated) return; // a literal that reaches the cut may be partial
      const token = text.slice(i, end);
      i = end;
      seen++;
      if ((c >= 48 && c <= 57) || c === 45) {
        const number = Number(token);
        if (Number.isFinite(number)) {
          const { path, name } = placeOfValue();
          visit(number, path, name);
        }
      }
    }
  }
}
