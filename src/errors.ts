/**
 * The one table of error codes that apiwarden answers with. Every denial or
 * fault a client can see has a stable `code`, an HTTP status and a title; the
 * body is `application/problem+json` (RFC 9457). `docs/errors.md` is kept in
 * step with this table by a test.
 */
export const ERROR_CODES = {
  BAD_REQUEST_TARGET: { status: 400, title: 'Malformed or ambiguous request target' },
  BAD_HEADER: { status: 400, title: 'Malformed or ambiguous request header' },
  BODY_TOO_LARGE: { status: 413, title: 'Request body too large' },
  HEADERS_TOO_LARGE: { status: 431, title: 'Request header fields too large' },
  REQUEST_TIMEOUT: { status: 408, title: 'Request not received in time' },
  NO_UPSTREAM: { status: 404, title: 'No API is served at this address' },
  SHADOW_ENDPOINT: { status: 404, title: 'Not found' },
  ZOMBIE_GONE: { status: 410, title: 'This API version has been retired' },
  UPSTREAM_UNAVAILABLE: { status: 502, title: 'Bad gateway' },
  UPSTREAM_TIMEOUT: { status: 504, title: 'Gateway timeout' },
  TOO_MANY_CONNECTIONS: { status: 503, title: 'Too many connections from this client' },
  UNAUTHENTICATED: { status: 401, title: 'Authentication required' },
  ACCESS_DENIED: { status: 403, title: 'Forbidden' },
  NO_ACCESS_RULE: { status: 403, title: 'Forbidden' },
  AUTH_UNAVAILABLE: { status: 503, title: 'Service unavailable' },
  BAD_REQUEST_BODY: { status: 400, title: 'Malformed or ambiguous request body' },
  AMBIGUOUS_PARAMETER: { status: 400, title: 'Ambiguous request parameter' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  CLIENT_BANNED: { status: 429, title: 'Too many requests' },
  TARPIT_FULL: { status: 429, title: 'Too many requests' },
  LIMITER_UNAVAILABLE: { status: 503, title: 'Service unavailable' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** A fault with a stable code that callers compare, keeping its cause. */
export class ApiwardenError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ApiwardenError';
    this.code = code;
  }
}
