/**
 * The `RateLimit-Policy` and `RateLimit` response fields of the IETF httpapi
 * draft (draft-ietf-httpapi-ratelimit-headers-09 §3, §4): structured-field
 * lists of `"<policy>";q=<quota>;w=<window s>` and `"<policy>";r=<remaining>;t=<reset s>`.
 * One item, for the tightest window that applied: it is the one a client
 * must pace itself by, and one item keeps the answer small.
 */
import type { CompiledWindow } from './plan.ts';
import type { CheckResult } from './types.ts';

export function rateLimitHeaders(window: CompiledWindow, result: CheckResult): string[] {
  // an sf-string holds printable ASCII without '"' and '\'; tier names come from users, so keep a safe set
  const name = `"${window.id.replace(/[^A-Za-z0-9_.@#-]/g, '_')}"`;
  const windowSeconds = Math.max(1, Math.round(window.periodMs / 1000));
  const resetSeconds = Math.ceil(result.resetMs / 1000);
  return [
    'ratelimit-policy', `${name};q=${window.limit};w=${windowSeconds}`,
    'ratelimit', `${name};r=${result.remaining};t=${resetSeconds}`,
  ];
}

/** `Retry-After` in whole seconds, at least 1 (RFC 9110 §10.2.3). */
export function retryAfterSeconds(ms: number): string {
  return String(Math.max(1, Math.ceil(ms / 1000)));
}
