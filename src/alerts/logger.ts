/** Logging for the alerts module: a fallback logger, and calls that cannot throw into delivery. */
import type { AlertLogger } from './types.ts';

/** One JSON line per entry on stderr, pino-like, for when no logger is injected: failures must not vanish. */
export function createStderrLogger(): AlertLogger {
  const write = (level: number, detail: Record<string, unknown>, msg: string): void => {
    process.stderr.write(`${JSON.stringify({ level, time: Date.now(), ...detail, msg })}\n`);
  };
  return {
    warn: (detail, msg) => write(40, detail, msg),
    error: (detail, msg) => write(50, detail, msg),
  };
}

/** Logs, ignoring a logger that throws: a broken logger must not stop delivery. */
export function safeLog(logger: AlertLogger, level: 'warn' | 'error', detail: Record<string, unknown>, message: string): void {
  try {
    logger[level](detail, message);
  } catch {
    // nothing sensible to do: the logger is the place we would report this
  }
}

/**
 * Replaces every secret (and its URL-encoded form) with "[redacted]". Sinks
 * already keep secrets out of their messages; this is the second line, for
 * what a library or a receiver echoes back.
 */
export function createScrubber(secrets: readonly string[]): (text: string) => string {
  const needles = [...new Set(secrets.filter((s) => s.length > 0).flatMap((s) => [s, encodeURIComponent(s)]))]
    // longest first, so a secret that contains another is replaced whole
    .sort((a, b) => b.length - a.length);
  if (needles.length === 0) return (text) => text;
  return (text) => needles.reduce((t, n) => t.replaceAll(n, '[redacted]'), text);
}
