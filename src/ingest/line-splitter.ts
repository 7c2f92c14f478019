/**
 * Splits a byte stream, fed in chunks, into lines, handing each line on as
 * a range of a Buffer: no string is made here, so the reader decodes only
 * what it keeps, with the decoding its format needs. A line is copied only
 * when it straddles two chunks; nothing of a chunk is kept once push()
 * returns, so the caller may reuse its buffer. A line longer than `maxLineBytes` is
 * reported by number and skipped without being buffered, so a file without
 * newlines (or a binary file given by mistake) cannot exhaust memory.
 */

const NEWLINE = 0x0a;
const CR = 0x0d;

export interface LineSplitterEvents {
  /** a line without its terminator ('\n' or '\r\n'); `lineNumber` is 1-based */
  onLine(buffer: Buffer, start: number, end: number, lineNumber: number): void;
  onOverlong(lineNumber: number): void;
}

export interface LineSplitter {
  push(chunk: Buffer): void;
  /** the last line, when the input does not end with a newline */
  end(): void;
}

export function createLineSplitter(events: LineSplitterEvents, maxLineBytes: number): LineSplitter {
  const { onLine, onOverlong } = events;
  let lineNumber = 0;
  let carry: Buffer | null = null;
  let isSkipping = false;
  let isFirstChunk = true;

  function emit(buffer: Buffer, start: number, end: number): void {
    lineNumber++;
    if (end - start > maxLineBytes) {
      onOverlong(lineNumber);
      return;
    }
    onLine(buffer, start, end > start && buffer[end - 1] === CR ? end - 1 : end, lineNumber);
  }

  return {
    // hot path: one indexOf per line
    push(chunk) {
      let pos = 0;
      if (isFirstChunk) {
        isFirstChunk = false;
        // a UTF-8 byte order mark (Windows tools write one before JSON)
        if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) pos = 3;
      }
      if (carry !== null || isSkipping) {
        const nl = chunk.indexOf(NEWLINE, pos);
        if (nl === -1) {
          if (isSkipping) return;
          if (carry!.length + chunk.length > maxLineBytes) {
            carry = null;
            isSkipping = true;
          } else {
            carry = Buffer.concat([carry!, chunk]);
          }
          return;
        }
        if (isSkipping) {
          isSkipping = false;
          lineNumber++;
          onOverlong(lineNumber);
        } else {
          const line = Buffer.concat([carry!, chunk.subarray(pos, nl)]);
          emit(line, 0, line.length);
        }
        carry = null;
        pos = nl + 1;
      }
      const n = chunk.length;
      let nl = chunk.indexOf(NEWLINE, pos);
      while (nl !== -1) {
        emit(chunk, pos, nl);
        pos = nl + 1;
        nl = chunk.indexOf(NEWLINE, pos);
      }
      if (pos < n) {
        if (n - pos > maxLineBytes) isSkipping = true;
        // a copy, not a view: the caller may read the next chunk into the same buffer (read-log.ts does)
        else carry = Buffer.from(chunk.subarray(pos));
      }
    },
    end() {
      if (isSkipping) {
        lineNumber++;
        onOverlong(lineNumber);
      } else if (carry !== null && carry.length > 0) {
        emit(carry, 0, carry.length);
      }
      carry = null;
      isSkipping = false;
    },
  };
}
