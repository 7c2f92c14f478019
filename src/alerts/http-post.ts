/**
 * One JSON POST for the HTTP sinks, through undici (the project's HTTP
 * client). It maps the answer to what delivery needs: 2xx is done; 408, 425,
 * 429 and 5xx are worth a retry (with the receiver's Retry-After); any other
 * status is a refusal that retrying will not change.
 *
 * Errors name the receiver by origin only: the path of a Slack webhook and
 * the query of some generic webhooks are credentials.
 */
import { request, type Dispatcher } from 'undici';
import { SinkError } from './sink-error.ts';
import { APIWARDEN_VERSION } from './version.ts';

export interface PostOptions {
  headers?: Record<string, string>;
  timeoutMs: number;
  dispatcher?: Dispatcher;
}

export interface PostAnswer {
  status: number;
  body: string;
}

const RETRYABLE = new Set([408, 425, 429]);
/** enough of an error body to see what the receiver disliked, not enough to flood a log */
const BODY_SNIPPET = 300;

/** Retry-After (RFC 9110 §10.2.3): delay-seconds or an HTTP-date. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | null {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return null;
  if (/^\d+$/.test(text.trim())) return Number(text.trim()) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(invalid URL)';
  }
}

/**
 * What of a URL to scrub from logs: the whole URL when it has a path or query
 * (a Slack webhook's path is its credential), nothing when it is just an
 * origin (scrubbing that would hide which receiver failed).
 */
export function urlSecrets(url: string): string[] {
  try {
    const u = new URL(url);
    return u.pathname === '/' && u.search === '' ? [] : [url, `${u.pathname}${u.search}`];
  } catch {
    return [url];
  }
}

export async function postJson(url: string, body: string, options: PostOptions): Promise<PostAnswer> {
  const origin = originOf(url);
  let answer: Dispatcher.ResponseData;
  try {
    answer = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': `apiwarden/${APIWARDEN_VERSION}`, ...options.headers },
      body,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      signal: AbortSignal.timeout(options.timeoutMs),
      ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
    });
  } catch (err) {
    const reason = err instanceof Error ? (err.name === 'TimeoutError' ? `no answer within ${options.timeoutMs} ms` : err.message) : String(err);
    throw new SinkError('ALERT_SINK_UNAVAILABLE', `POST ${origin} failed: ${reason}`, { cause: err });
  }
  let text = '';
  try {
    text = await answer.body.text();
  } catch {
    // the status is what matters; a body cut short is not a failure of the delivery
  }
  const status = answer.statusCode;
  if (status >= 200 && status < 300) return { status, body: text };
  const snippet = text.length > BODY_SNIPPET ? `${text.slice(0, BODY_SNIPPET)}…` : text;
  const message = `POST ${origin} answered ${status}${snippet ? `: ${snippet.replace(/\s+/g, ' ')}` : ''}`;
  if (status >= 500 || RETRYABLE.has(status)) {
    throw new SinkError('ALERT_SINK_UNAVAILABLE', message, { retryAfterMs: parseRetryAfter(answer.headers['retry-after']) });
  }
  throw new SinkError('ALERT_SINK_REJECTED', message);
}
