/**
 * The fault a sink raises for one failed attempt. Delivery compares `code`
 * and reads `isRetryable`: a 400 from PagerDuty (a malformed event) will fail
 * the same way every time, a 503 or a refused connection may not.
 *
 * Messages name the receiver by origin only: a Slack incoming-webhook URL
 * carries its credential in the path, and a generic webhook URL may carry one
 * in the query.
 */
import { ApiwardenError } from '../errors.ts';

export const SINK_ERROR_CODES = {
  /** the receiver answered and refused the notification; retrying will not help */
  ALERT_SINK_REJECTED: { isRetryable: false },
  /** unreachable, timed out, 5xx, 408 or 429: worth another attempt */
  ALERT_SINK_UNAVAILABLE: { isRetryable: true },
  /** the sink is misconfigured (no recipient, unknown host family, …) */
  ALERT_SINK_CONFIG: { isRetryable: false },
} as const;

export type SinkErrorCode = keyof typeof SINK_ERROR_CODES;

export class SinkError extends ApiwardenError {
  override readonly code: SinkErrorCode;
  readonly isRetryable: boolean;
  /** what the receiver asked for (Retry-After), if anything */
  readonly retryAfterMs: number | null;

  constructor(code: SinkErrorCode, message: string, options: { cause?: unknown; retryAfterMs?: number | null } = {}) {
    super(code, message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SinkError';
    this.code = code;
    this.isRetryable = SINK_ERROR_CODES[code].isRetryable;
    this.retryAfterMs = options.retryAfterMs ?? null;
  }
}
