// @ts-check
/**
 * The admin API as the console uses it: the bearer token (kept for the
 * browser session only), JSON calls, and the server-sent events stream read
 * with fetch, since EventSource cannot send an Authorization header.
 * Shapes follow src/admin/openapi.yaml.
 */

/**
 * @typedef {{ minute: number, total: number, byClass: Record<string, number>, byDecision: Record<string, number> }} TrafficPoint
 * @typedef {{ key: string, until: number, kind: 'ban' | 'delay', delayMs?: number, level?: number, reason: string }} Ban
 * @typedef {{ ip: string, requests: number, misses: number, bytesOut: number, refused: number, delayed?: number,
 *   firstSeen: number, lastSeen: number, lastDecision?: string | null, ban?: Ban | null }} Client
 * @typedef {{ generatedAt: number, uptimeSeconds: number, mode: 'enforce' | 'monitor',
 *   requests: { total?: number, byClass?: Record<string, number>, byDecision?: Record<string, number> },
 *   endpoints: { total?: number, documented?: number, shadow?: number, zombie?: number, exposed?: number, unauthenticated?: number },
 *   alerts: { firing?: number, bySeverity?: Record<string, number> },
 *   bans: { active?: number, slowdowns?: number },
 *   traffic: TrafficPoint[], topClients: Client[] }} Overview
 * @typedef {{ kind?: string, severity?: string }} FindingRef
 * @typedef {{ id: string, host: string, method: string, template: string, operationId: string | null,
 *   class: 'documented' | 'shadow' | 'zombie', count: number, firstSeen: number, lastSeen: number,
 *   statuses: Record<string, number>, clients: number, p95Ms: number | null, auth?: Record<string, number>,
 *   dataClasses: string[], unauthenticated: boolean, exposed: boolean, findings?: FindingRef[] }} EndpointSummary
 * @typedef {{ request: number, response: number, unauthenticatedResponse: number, unauthenticatedLookup?: number,
 *   paths: string[], examples: string[] }} DataClassSeen
 * @typedef {{ name: string, segment: number, distinct: number, shapes: Record<string, number>, examples: string[] }} LearnedParam
 * @typedef {{ id: string, class: string, host: string, method: string, template: string, operationId: string | null,
 *   firstSeen: number, lastSeen: number, count: number, statuses: Record<string, number>,
 *   latency?: { count: number, sumMs: number, maxMs: number, p95Ms: number | null },
 *   auth?: Record<string, number>, query?: Record<string, Record<string, number>>,
 *   requestContentTypes?: Record<string, number>, responseContentTypes?: Record<string, number>,
 *   dataClasses?: Record<string, DataClassSeen> | string[], clients: number, sampled?: number, deprecationHeaders?: number,
 *   unauthenticatedSuccess?: number, exposed?: boolean, unauthenticated?: boolean,
 *   learned?: { host: string, template: string, count: number, confidence: number, params: LearnedParam[] } | null }} EndpointFull
 * @typedef {{ id?: string, kind: string, severity: string, title?: string, detail?: string,
 *   method?: string, template?: string, evidence?: Record<string, unknown>, firstSeen?: number | null, lastSeen?: number | null }} Finding
 * @typedef {{ endpoint: EndpointFull, findings: Finding[], traffic: { minute: number, count: number, errors: number }[], topClients?: Client[] }} EndpointDetail
 * @typedef {{ kind: string, value: string, count: number }} EvidenceIdentity
 * @typedef {{ time: number, method: string, target: string, status: number, clientIp: string }} ExampleRequest
 * @typedef {{ topIdentities?: EvidenceIdentity[], counts?: Record<string, number>, exampleRequests?: ExampleRequest[] }} Evidence
 * @typedef {{ fingerprint: string, rule: string, status: 'firing' | 'resolved', severity: string, summary: string,
 *   labels?: Record<string, string>, startsAt: number, lastSeenAt: number, endsAt?: number | null, count: number,
 *   acknowledgedAt?: number | null, acknowledgedBy?: string | null, resolvedBy?: string | null, evidence?: Evidence }} Alert
 * @typedef {{ rule: string, action: string, identity?: { kind: string, value: string }, banKey?: string | null,
 *   durationMs?: number, delayMs?: number, dryRun?: boolean, reason?: string, level?: number, time: number, until?: number,
 *   evidence?: { windowMs?: number, operation?: string | null, features?: Record<string, number> } }} Decision
 */

/**
 * @template T
 * @typedef {{ items: T[], total: number, limit: number, offset: number }} Page
 */

const TOKEN_KEY = 'apiwarden.adminToken';

/** @returns {string | null} */
export function getToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

/** @param {string} token */
export function setToken(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function clearToken() {
  try {
    sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // storage unavailable: nothing kept
  }
}

/** Raised when the server refuses the token; the app goes back to the sign-in form. */
export class Unauthorized extends Error {
  constructor() {
    super('the admin token was refused');
    this.name = 'Unauthorized';
  }
}

export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} message
   */
  constructor(status, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

/**
 * Listeners told when the token is refused.
 * @type {Set<() => void>}
 */
const onUnauthorized = new Set();

/** @param {() => void} fn */
export function whenUnauthorized(fn) {
  onUnauthorized.add(fn);
  return () => onUnauthorized.delete(fn);
}

function signedOut() {
  clearToken();
  for (const fn of onUnauthorized) fn();
}

/**
 * @param {Response} res
 * @returns {Promise<string>}
 */
async function problemText(res) {
  try {
    const text = await res.text();
    try {
      const p = /** @type {{ title?: unknown, detail?: unknown }} */ (JSON.parse(text));
      const parts = [p.title, p.detail].filter((x) => typeof x === 'string' && x !== '');
      if (parts.length > 0) return parts.join(': ');
    } catch {
      // not JSON
    }
    return text.slice(0, 200) || `${res.status} ${res.statusText}`;
  } catch {
    return `${res.status} ${res.statusText}`;
  }
}

/**
 * Call the admin API with the session's token.
 * @param {string} path '/api/v1/…'
 * @param {{ method?: string, body?: unknown, signal?: AbortSignal, token?: string }} [options]
 * @returns {Promise<unknown>} the parsed JSON answer, or null for 204
 */
export async function api(path, options = {}) {
  const token = options.token ?? getToken();
  if (!token) {
    signedOut();
    throw new Unauthorized();
  }
  /** @type {Record<string, string>} */
  const headers = { authorization: `Bearer ${token}`, accept: 'application/json' };
  /** @type {RequestInit} */
  const init = { method: options.method ?? 'GET', headers, cache: 'no-store' };
  if (options.signal) init.signal = options.signal;
  if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(options.body);
  }
  const res = await fetch(path, init);
  if (res.status === 401) {
    if (!options.token) signedOut();
    throw new Unauthorized();
  }
  if (!res.ok) throw new ApiError(res.status, await problemText(res));
  if (res.status === 204) return null;
  const text = await res.text();
  return text === '' ? null : JSON.parse(text);
}

/**
 * A GET with a typed answer.
 * @template T
 * @param {string} path
 * @param {AbortSignal} [signal]
 * @returns {Promise<T>}
 */
export async function get(path, signal) {
  return /** @type {T} */ (await api(path, signal ? { signal } : {}));
}

/**
 * A query string from the parameters that are set.
 * @param {Record<string, string | number | null | undefined>} params
 */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== '') q.set(k, String(v));
  const text = q.toString();
  return text ? `?${text}` : '';
}

/** @typedef {'connecting' | 'live' | 'offline'} StreamState */

/**
 * Parse server-sent events from text chunks (the WHATWG rules that matter:
 * `event:`, `data:` lines joined with newlines, comments, CR/LF/CRLF, a blank
 * line dispatches).
 */
export class EventParser {
  /** @param {(type: string, data: string) => void} onEvent */
  constructor(onEvent) {
    this.onEvent = onEvent;
    this.buffer = '';
    this.type = '';
    /** @type {string[]} */
    this.data = [];
  }

  /** @param {string} chunk */
  push(chunk) {
    this.buffer += chunk;
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.buffer);
      // a lone CR at the end may be the first half of CRLF: wait for more
      if (!m || (m[0] === '\r' && m.index === this.buffer.length - 1)) break;
      const line = this.buffer.slice(0, m.index);
      this.buffer = this.buffer.slice(m.index + m[0].length);
      this.line(line);
    }
  }

  /** @param {string} line */
  line(line) {
    if (line === '') {
      if (this.data.length > 0) this.onEvent(this.type || 'message', this.data.join('\n'));
      this.type = '';
      this.data = [];
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.type = value;
    else if (field === 'data') this.data.push(value);
  }
}

/**
 * Follow GET /api/v1/stream, reconnecting with backoff until closed.
 * @param {(type: string, data: unknown) => void} onEvent
 * @param {(state: StreamState) => void} onState
 * @returns {{ close(): void }}
 */
export function openStream(onEvent, onState) {
  const controller = new AbortController();
  let delay = 1000;
  let closed = false;

  const run = async () => {
    while (!closed) {
      onState('connecting');
      const token = getToken();
      if (!token) return;
      try {
        const res = await fetch('/api/v1/stream', {
          headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
          cache: 'no-store',
          signal: controller.signal,
        });
        if (res.status === 401) {
          signedOut();
          return;
        }
        if (!res.ok || !res.body) throw new Error(`stream answered ${res.status}`);
        onState('live');
        delay = 1000;
        const reader = res.body.getReader();
        const decoder = new TextDecoder();
        const parser = new EventParser((type, text) => {
          /** @type {unknown} */
          let data = text;
          try {
            data = JSON.parse(text);
          } catch {
            // plain text data
          }
          onEvent(type, data);
        });
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          parser.push(decoder.decode(value, { stream: true }));
        }
      } catch {
        // dropped or refused: try again after a while
      }
      if (closed) return;
      onState('offline');
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 15_000);
    }
  };
  void run();
  return {
    close() {
      closed = true;
      controller.abort();
    },
  };
}
