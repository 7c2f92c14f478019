/**
 * The first bytes of a body as a BodySample (src/discovery/types.ts):
 * UTF-8 text of at most `maxBytes` bytes, cut on a character boundary.
 * Only the part that is kept is encoded or decoded, so a 100 MB body costs
 * what its first few KiB cost.
 */
import type { BodySample } from '../discovery/types.ts';

/** The longest prefix of `bytes[0..limit)` that does not end inside a UTF-8 sequence. */
function utf8Cut(bytes: Buffer, limit: number): number {
  if (limit >= bytes.length) return bytes.length;
  let cut = limit;
  // back off over continuation bytes (10xxxxxx) to the start of the character at `limit`
  while (cut > 0 && (bytes[cut]! & 0xc0) === 0x80) cut--;
  return cut;
}

/**
 * `text` as a HAR content or postData gives it; `encoding` 'base64' (HAR 1.2
 * §content.encoding) for binary or compressed bodies.
 */
export function bodySample(text: string, encoding: string | null, contentType: string | null, maxBytes: number): BodySample {
  if (encoding !== null && encoding.toLowerCase() === 'base64') {
    const total = Buffer.byteLength(text, 'base64');
    // 4 base64 characters per 3 bytes: decode only what is kept (+1 group for the cut)
    const bytes = Buffer.from(text.slice(0, Math.ceil(maxBytes / 3) * 4 + 4), 'base64');
    const cut = utf8Cut(bytes, maxBytes);
    return { contentType, text: bytes.toString('utf8', 0, cut), truncated: total > cut };
  }
  // one UTF-16 unit is at least one UTF-8 byte: more units than maxBytes is more bytes
  const head = text.length > maxBytes ? text.slice(0, maxBytes) : text;
  const bytes = Buffer.from(head, 'utf8');
  if (bytes.length <= maxBytes && head.length === text.length) return { contentType, text, truncated: false };
  const cut = utf8Cut(bytes, maxBytes);
  return { contentType, text: bytes.toString('utf8', 0, cut), truncated: true };
}
