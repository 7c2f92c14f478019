/**
 * JSON Pointers (RFC 6901): escaping, building and splitting. On their own,
 * without locate.ts's YAML parser, so that what only needs a pointer (the
 * sensitive-name checks, which discovery runs on every log) loads nothing
 * else.
 */

/** A JSON Pointer segment, escaped (RFC 6901 §3: "~" → "~0", "/" → "~1"). */
export function escapePointerSegment(segment: string | number): string {
  return String(segment).replaceAll('~', '~0').replaceAll('/', '~1');
}

/** A pointer from segments: pointerOf(['paths', '/a', 'get']) is "/paths/~1a/get". */
export function pointerOf(segments: ReadonlyArray<string | number>): string {
  return segments.map((s) => '/' + escapePointerSegment(s)).join('');
}

/** The segments of a pointer, unescaped ("" is the whole document). */
export function pointerSegments(pointer: string): string[] {
  if (pointer === '' || pointer === '#') return [];
  const body = pointer.startsWith('#') ? pointer.slice(1) : pointer;
  // A URI fragment is percent-encoded (RFC 6901 §6); a plain pointer is not,
  // but decoding is harmless where there is no "%".
  return body.split('/').slice(1).map((s) => {
    const unescaped = s.replaceAll('~1', '/').replaceAll('~0', '~');
    if (!pointer.startsWith('#') || !unescaped.includes('%')) return unescaped;
    try {
      return decodeURIComponent(unescaped);
    } catch {
      return unescaped;
    }
  });
}
