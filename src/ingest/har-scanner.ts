/**
 * Cuts a HAR document, fed in chunks, into the JSON text of each element of
 * `log.entries`, without parsing the document. HAR files from a long browser
 * session or a proxy capture reach gigabytes (bodies are inlined, often in
 * base64); JSON.parse would need the whole text in memory, several times
 * its size as objects. This scanner tracks only what it must: string and
 * escape state, nesting depth, and the keys of the first two levels to find
 * `log` → `entries`. Memory is one chunk plus the entry being cut, and an
 * entry larger than `maxEntryBytes` is skipped (reported, not buffered).
 *
 * Why not a streaming JSON library: the ones on npm (stream-json,
 * @streamparser/json, JSONStream) build tokens or values for every byte of
 * the document; cutting raw entry texts and handing each to the native
 * JSON.parse is simpler and several times faster, and this is the only place
 * apiwarden needs it. String contents are skipped with Buffer#indexOf.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const NEWLINE = 0x0a;
const MAX_KEY_BYTES = 16;

export interface HarScannerEvents {
  /** the UTF-8 text of one entry and the line it starts on */
  onEntry(text: Buffer, line: number, index: number): void;
  /** an entry that could not be cut (too large, or cut off by the end of the input) */
  onMalformed(line: number, index: number, reason: string): void;
}

export interface HarScanner {
  push(chunk: Buffer): void;
  /** call at the end of the input; false when the document had no log.entries array */
  end(): boolean;
  /** entries seen so far (cut, skipped or cut off) */
  readonly entries: number;
}

export function createHarScanner(events: HarScannerEvents, maxEntryBytes: number): HarScanner {
  let depth = 0;
  let line = 1;
  let isInString = false;
  let isEscapePending = false;
  // per depth 1 and 2: container kind, whether a string now would be a key, the last key
  const isObject = [false, false, false];
  const expectsKey = [false, false, false];
  const lastKey = ['', '', ''];
  let isCapturingKey = false;
  let keyBytes: number[] = [];
  let isInEntries = false;
  let hasEntries = false;
  let entryCount = 0;
  // the entry being cut: pieces of chunks (views, not copies)
  let isInEntry = false;
  let entryStart = 0;
  let entryLine = 0;
  let entryPieces: Buffer[] = [];
  let entryBytes = 0;
  let isEntryTooLarge = false;

  /** Index of the quote closing the string that `from` is inside, or -1 (escape state carried to the next chunk). */
  function stringEnd(chunk: Buffer, from: number): number {
    let i = from;
    const n = chunk.length;
    if (isEscapePending) {
      isEscapePending = false;
      i++;
    }
    while (i < n) {
      const q = chunk.indexOf(QUOTE, i);
      if (q === -1) break;
      let backslashes = 0;
      while (q - backslashes - 1 >= i && chunk[q - backslashes - 1] === BACKSLASH) backslashes++;
      if (backslashes % 2 === 0) return q;
      i = q + 1;
    }
    let trailing = 0;
    while (n - trailing - 1 >= i && chunk[n - trailing - 1] === BACKSLASH) trailing++;
    isEscapePending = trailing % 2 === 1;
    return -1;
  }

  function keepEntryPiece(piece: Buffer): void {
    if (isEntryTooLarge) return;
    entryBytes += piece.length;
    if (entryBytes > maxEntryBytes) {
      isEntryTooLarge = true;
      entryPieces = [];
      return;
    }
    entryPieces.push(piece);
  }

  function push(chunk: Buffer): void {
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      if (isInString) {
        const end = stringEnd(chunk, i);
        const stop = end === -1 ? n : end;
        if (isCapturingKey) {
          for (let k = i; k < stop && keyBytes.length <= MAX_KEY_BYTES; k++) keyBytes.push(chunk[k]!);
        }
        if (end === -1) break;
        isInString = false;
        if (isCapturingKey) {
          isCapturingKey = false;
          lastKey[depth] = keyBytes.length > MAX_KEY_BYTES ? '' : String.fromCharCode(...keyBytes);
        }
        i = end + 1;
        continue;
      }
      const c = chunk[i]!;
      if (c === QUOTE) {
        isInString = true;
        isCapturingKey = depth <= 2 && expectsKey[depth] === true;
        if (isCapturingKey) keyBytes = [];
      } else if (c === 0x7b || c === 0x5b) {
        // '{' or '['
        depth++;
        if (depth <= 2) {
          isObject[depth] = c === 0x7b;
          expectsKey[depth] = c === 0x7b;
          lastKey[depth] = '';
        } else if (depth === 3 && c === 0x5b && !hasEntries && isObject[1] && isObject[2] && lastKey[1] === 'log' && lastKey[2] === 'entries') {
          isInEntries = true;
          hasEntries = true;
        } else if (depth === 4 && isInEntries && c === 0x7b) {
          isInEntry = true;
          entryStart = i;
          entryLine = line;
          entryCount++;
        }
      } else if (c === 0x7d || c === 0x5d) {
        // '}' or ']'
        if (isInEntry && depth === 4) {
          keepEntryPiece(chunk.subarray(entryStart, i + 1));
          if (isEntryTooLarge) {
            events.onMalformed(entryLine, entryCount, `entry ${entryCount} is larger than ${maxEntryBytes} bytes`);
          } else {
            events.onEntry(entryPieces.length === 1 ? entryPieces[0]! : Buffer.concat(entryPieces), entryLine, entryCount);
          }
          isInEntry = false;
          entryPieces = [];
          entryBytes = 0;
          isEntryTooLarge = false;
        } else if (isInEntries && depth === 3) {
          isInEntries = false;
        }
        if (depth > 0) depth--;
      } else if (c === 0x3a) {
        // ':'
        if (depth <= 2) expectsKey[depth] = false;
      } else if (c === 0x2c) {
        // ','
        if (depth <= 2 && isObject[depth] === true) expectsKey[depth] = true;
      } else if (c === NEWLINE) {
        line++;
      }
      i++;
    }
    if (isInEntry) {
      keepEntryPiece(chunk.subarray(entryStart));
      entryStart = 0;
    }
  }

  return {
    push,
    end() {
      if (isInEntry) events.onMalformed(entryLine, entryCount, `the input ends inside entry ${entryCount}`);
      isInEntry = false;
      entryPieces = [];
      return hasEntries;
    },
    get entries() {
      return entryCount;
    },
  };
}
