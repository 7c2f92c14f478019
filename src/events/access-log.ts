import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname, isAbsolute } from 'node:path';
import pino from 'pino';
import { ApiwardenError } from '../errors.ts';
import type { EventListener } from './bus.ts';
import type { GatewayEvent } from './types.ts';

export interface AccessLogOptions {
  /**
   * Told about write failures (disk full, file not writable) and lines
   * dropped because the destination could not keep up, at most once a
   * minute. Default: ignore.
   */
  onError?: (error: unknown) => void;
  /**
   * Most bytes buffered while the destination is slow (a stalled stdout
   * pipe, a slow disk); further lines are dropped and counted. Default 16 MiB.
   */
  maxBufferBytes?: number;
}

export interface AccessLog {
  readonly listener: EventListener;
  /** write what is buffered and release the destination; stdout stays open */
  close(): Promise<void>;
  /** reopen the file after log rotation (no-op for 'stdout' and 'off') */
  reopen(): void;
  readonly stats: { readonly written: number; readonly dropped: number };
}

/** Longest request target written to the log; the event already caps it at 2,048. */
const MAX_LOGGED_PATH = 1024;
const DEFAULT_MAX_BUFFER_BYTES = 16 * 1024 * 1024;
const ERROR_REPORT_INTERVAL_MS = 60_000;

/**
 * Query parameter names that carry credentials often enough that their
 * values must never reach a log (OAuth 2.0 RFC 6749 §4.1.2 `code`, RFC 6750
 * §2.3 `access_token`, pre-signed URL signatures, API keys, session ids).
 * Long words match anywhere in the name (refresh_token, client_secret,
 * X-Amz-Signature, jsessionid, PHPSESSID); short ones only as a whole word of the name
 * (api_key, apiKey, sig), so that `monkey` or `zipcode` stay readable.
 */
const SECRET_SUBSTRING = /token|secret|passw|signature|apikey|jwt|session|sessid|credential|authoriz/;
const SECRET_WORDS: ReadonlySet<string> = new Set(['key', 'sig', 'auth', 'code', 'pwd', 'otp', 'sid']);
/** cheap pre-check before splitting a name into words */
const MAY_HAVE_SECRET_WORD = /key|sig|auth|code|pwd|otp|sid/i;

function decodeName(name: string): string {
  if (!name.includes('%') && !name.includes('+')) return name;
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    return name;
  }
}

function isSecretName(rawName: string): boolean {
  const name = decodeName(rawName);
  if (SECRET_SUBSTRING.test(name.toLowerCase())) return true;
  if (!MAY_HAVE_SECRET_WORD.test(name)) return false;
  // words: split on anything not a letter or digit, and on camelCase humps
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase().split(/[^a-z0-9]+/);
  return words.some((word) => SECRET_WORDS.has(word));
}

/**
 * Fast path: a query in which no secret fragment appears anywhere (and no
 * '%' or '+' that could encode one) has nothing to redact; most queries
 * (`?page=2&q=shoes`) skip the per-pair work.
 */
const MAY_HAVE_SECRET = /token|secret|passw|signature|apikey|jwt|sess|credential|auth|key|sig|code|pwd|otp|sid|%|\+/i;

function redactPairs(text: string, separator: RegExp): string {
  if (!MAY_HAVE_SECRET.test(text)) return text;
  return text.replace(separator, (pair, prefix: string, name: string) =>
    isSecretName(name) ? `${prefix}${name}=REDACTED` : pair,
  );
}

/**
 * Replace the values of query parameters whose names look secret by
 * `REDACTED`, in a request target (`/path?query`). Path parameters of the
 * `;name=value` form are treated the same (`;jsessionid=` is the classic
 * leak). Everything else is kept byte for byte; no decoding, no reordering.
 */
export function redactQuery(target: string): string {
  const q = target.indexOf('?');
  const path = q === -1 ? target : target.slice(0, q);
  // ';' is accepted as a query separator by some frameworks, so it splits
  // pairs too: over-redacting a value beats leaking one.
  const redactedPath = path.includes(';') ? redactPairs(path, /(;)([^;/=?]*)=[^;/?]*/g) : path;
  if (q === -1) return redactedPath;
  const query = target.slice(q + 1);
  return `${redactedPath}?${redactPairs(query, /(^|[&;])([^&;=]*)=[^&;]*/g)}`;
}

function loggedPath(rawPath: string): string {
  // Redact first: truncating first could cut a parameter name and let its
  // value through. Truncation keeps lines short for log shippers.
  const redacted = redactQuery(rawPath);
  return redacted.length > MAX_LOGGED_PATH ? `${redacted.slice(0, MAX_LOGGED_PATH)}…` : redacted;
}

/** The line: the event's own fields, rawPath and path redacted. */
function toLine(event: GatewayEvent): string {
  return `${JSON.stringify({
    ...event,
    // a non-finite time would be written as null
    time: Number.isFinite(event.time) ? event.time : Date.now(),
    rawPath: loggedPath(event.rawPath),
    path: event.path === null ? null : redactQuery(event.path),
  })}\n`;
}

const noop = (): void => {};

/**
 * Fail at start-up, with the path in the message, rather than let the
 * asynchronous open fail later and silently drop every line.
 */
function assertWritable(file: string): void {
  try {
    mkdirSync(dirname(file), { recursive: true });
    closeSync(openSync(file, 'a'));
  } catch (error) {
    throw new ApiwardenError('ACCESS_LOG_OPEN_FAILED', `cannot open the access log ${file}`, { cause: error });
  }
}

/**
 * The access log: one JSON line per gateway event, written through pino's
 * asynchronous destination (sonic-boom: buffered writes, EAGAIN handling,
 * reopen for log rotation, all things a hand-made stream would get wrong).
 * `target` is 'stdout', 'off', or an absolute file path.
 */
export function createAccessLog(target: string, options: AccessLogOptions = {}): AccessLog {
  if (target === 'off') {
    return {
      listener: noop,
      close: async () => {},
      reopen: noop,
      stats: { written: 0, dropped: 0 },
    };
  }
  if (target !== 'stdout' && !isAbsolute(target)) {
    throw new ApiwardenError('ACCESS_LOG_TARGET', `access log target must be 'stdout', 'off' or an absolute path, got ${JSON.stringify(target)}`);
  }
  const onError = options.onError ?? noop;
  if (target !== 'stdout') assertWritable(target);
  const counters = { written: 0, dropped: 0 };
  const destination = pino.destination({
    dest: target === 'stdout' ? 1 : target,
    sync: false,
    mkdir: true,
    // Bounded memory: without a cap, a stalled consumer of stdout or a slow
    // disk would let the buffer grow with every request.
    maxLength: options.maxBufferBytes ?? DEFAULT_MAX_BUFFER_BYTES,
    // Buffer mode with large writes: in its default string mode sonic-boom
    // measures the byte length of its whole pending chunk on every write
    // and sends at most 16 KiB per write system call. Measured with 50
    // lines of 500 bytes per event-loop turn: string mode cost 1.6 µs per
    // line and dropped 60% of lines at the 16 MiB cap; buffer mode with
    // 1 MiB writes cost 0.4 µs per line and dropped none.
    contentMode: 'buffer',
    maxWrite: 1024 * 1024,
  });

  let isOpen = target === 'stdout';
  let hasFailedToOpen = false;
  let hasPendingWriteError = false;
  const markDestroyed = (): void => {
    (destination as unknown as { destroyed: boolean }).destroyed = true;
  };
  let lastReportAt = Number.NEGATIVE_INFINITY;

  // A destination that keeps failing (full disk) fails on every write, and
  // a slow one drops line after line; one report per interval is enough to
  // tell someone, and stats count every lost line.
  function report(error: unknown): void {
    const now = Date.now();
    if (now - lastReportAt < ERROR_REPORT_INTERVAL_MS) return;
    lastReportAt = now;
    try {
      onError(error);
    } catch {
      // a failing reporter must not take the log down
    }
  }
  destination.on('ready', () => {
    isOpen = true;
  });
  // An 'error' without a listener would crash the process: a full disk must
  // cost log lines, not the gateway.
  destination.on('error', (error: unknown) => {
    if (!isOpen && !hasFailedToOpen) {
      // Only if the file went away between assertWritable and the open.
      // pino flushes its destination synchronously at process exit, and
      // sonic-boom throws when flushing a file it never opened: that would
      // crash the exit. `destroyed` is the flag pino checks first.
      hasFailedToOpen = true;
      markDestroyed();
    } else {
      hasPendingWriteError = true;
    }
    report(error);
  });
  destination.on('write', () => {
    hasPendingWriteError = false;
  });
  // sonic-boom 4.2's flushSync, which pino calls at process exit, retries a
  // failing write forever unless the error is EAGAIN: a process exiting
  // while the disk is full would hang instead of restarting. If the last
  // write failed, the buffered lines are lost anyway; mark the destination
  // destroyed (pino then skips the flush). Prepended so that it runs before
  // pino's own exit handler.
  const onExit = (): void => {
    if (hasPendingWriteError) markDestroyed();
  };
  process.prependListener('exit', onExit);
  destination.on('drop', () => {
    counters.dropped += 1;
    counters.written -= 1;
    report(new ApiwardenError('ACCESS_LOG_DROPPED', 'the access log destination cannot keep up; lines are being dropped'));
  });

  // Lines go straight to pino's destination, without a pino logger: the
  // line is the event and nothing else (no level, no pid), with the event's
  // own arrival time under `time`, and JSON.stringify measured three times
  // faster here than pino's per-key serialisation (about 2.5 µs against 7 µs
  // per event on the reference machine). What pino brings is the destination:
  // buffered asynchronous writes, EAGAIN retries, reopen, flush at exit.

  let isClosed = false;
  let closing: Promise<void> | null = null;

  return {
    listener(event) {
      if (isClosed || hasFailedToOpen) {
        counters.dropped += 1;
        return;
      }
      counters.written += 1;
      // buffer mode takes Buffers (typed as string by sonic-boom's d.ts)
      destination.write(Buffer.from(toLine(event)) as unknown as string);
    },
    reopen() {
      if (target === 'stdout' || isClosed || hasFailedToOpen) return;
      // If the new file cannot be opened, sonic-boom reports an error and
      // keeps writing to the old descriptor: lines go on, to the old file.
      destination.reopen();
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        isClosed = true;
        process.removeListener('exit', onExit);
        // sonic-boom cannot end a file it never opened (it would wait for
        // 'ready' forever), and nothing was written there anyway.
        if (hasFailedToOpen) {
          resolve();
          return;
        }
        destination.once('close', () => resolve());
        destination.once('error', () => {
          // The last write failed (full disk): give up the buffered lines
          // and release the file rather than leave it half-ended.
          destination.destroy();
          resolve();
        });
        try {
          // end() writes the buffer, fsyncs and closes the file (never fd 1).
          destination.end();
        } catch {
          resolve();
        }
      });
      return closing;
    },
    stats: {
      get written() {
        return counters.written;
      },
      get dropped() {
        return counters.dropped;
      },
    },
  };
}
