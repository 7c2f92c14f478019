/**
 * The storm throttle: at most `limit` notifications per minute across all
 * alerts. A detection storm (one rule firing for thousands of identities, a
 * misconfigured rule) must not page someone three hundred times; past the
 * limit, notifications are counted and folded into one digest per minute.
 *
 * Fixed windows of 60 s, opened by the first notification after the previous
 * window ended: simple, and exact on a simulated clock. Over-limit is a
 * value (`admit` returns false), not an exception.
 */
import { maxSeverity } from './severity.ts';
import type { Severity } from './types.ts';

export const STORM_WINDOW_MS = 60_000;
const MAX_RULES_IN_DIGEST = 20;

export interface SuppressedWindow {
  windowStart: number;
  suppressed: number;
  byRule: Record<string, number>;
  severity: Severity;
}

export interface StormThrottle {
  /** Counts one notification; false when it is over the limit (it is then recorded for the digest). */
  admit(now: number, rule: string, severity: Severity): boolean;
  /** Closes the window if it has ended; returns what it suppressed, or null when nothing was. */
  rollover(now: number): SuppressedWindow | null;
}

export function createStormThrottle(limit: number): StormThrottle {
  let windowStart = Number.NEGATIVE_INFINITY;
  let admitted = 0;
  let suppressed = 0;
  let byRule = new Map<string, number>();
  let severity: Severity = 'info';

  return {
    admit(now, rule, s) {
      if (now >= windowStart + STORM_WINDOW_MS) {
        windowStart = now;
        admitted = 0;
      }
      if (admitted < limit) {
        admitted++;
        return true;
      }
      suppressed++;
      severity = maxSeverity(severity, s);
      const key = byRule.has(rule) || byRule.size < MAX_RULES_IN_DIGEST ? rule : '…';
      byRule.set(key, (byRule.get(key) ?? 0) + 1);
      return false;
    },
    rollover(now) {
      if (suppressed === 0 || now < windowStart + STORM_WINDOW_MS) return null;
      const closed: SuppressedWindow = { windowStart, suppressed, byRule: Object.fromEntries(byRule), severity };
      suppressed = 0;
      byRule = new Map();
      severity = 'info';
      return closed;
    },
  };
}
