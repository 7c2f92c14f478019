/**
 * Discovery inline: the gateway hands every finished request to the tap,
 * which turns it into an ObservedRequest for the inventory. Bodies are
 * captured on a sample only (decided when the request arrives), and only
 * their first maxBodyBytes: the capture is a few Buffer references on the
 * request path, and the parsing and scanning happen here, after the answer
 * has gone.
 *
 * Credentials never reach the inventory: Authorization, Cookie, API-key
 * headers and the like keep their scheme word at most ('Bearer <redacted>').
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { GatewayEvent } from '../events/types.ts';
import type { Inventory } from './inventory.ts';
import type { AuthSeen, BodySample, ObservedRequest } from './types.ts';

/** Bytes captured from one body of a sampled request. */
export class BodyCapture {
  readonly chunks: Buffer[] = [];
  bytes = 0;
  isTruncated = false;
  readonly #max: number;

  constructor(maxBytes: number) {
    this.#max = maxBytes;
  }

  // hot path (sampled requests only): a reference to the chunk, sliced at the cap
  add(chunk: Buffer): void {
    if (this.bytes >= this.#max) {
      this.isTruncated = true;
      return;
    }
    const room = this.#max - this.bytes;
    if (chunk.length > room) {
      this.chunks.push(chunk.subarray(0, room));
      this.bytes += room;
      this.isTruncated = true;
      return;
    }
    this.chunks.push(chunk);
    this.bytes += chunk.length;
  }

  toSample(contentType: string | null): BodySample | null {
    if (this.bytes === 0) return null;
    return { contentType, text: Buffer.concat(this.chunks, this.bytes).toString('utf8'), truncated: this.isTruncated };
  }
}

/** What the gateway captured of a sampled request. */
export interface SampleCapture {
  request: BodyCapture;
  response: BodyCapture;
}

/** The response headers discovery reads, kept for every request (not only sampled ones). */
export interface ResponseFacts {
  contentType: string | null;
  deprecation: string | null;
  sunset: string | null;
}

export interface DiscoveryTap {
  /** at arrival: a capture when this request is sampled, else null */
  startSample(): SampleCapture | null;
  /** after the answer (or the refusal): count the request */
  observe(event: GatewayEvent, headers: IncomingHttpHeaders, sample: SampleCapture | null, response: ResponseFacts | null, hasClientCertificate: boolean): void;
}

export interface DiscoveryTapOptions {
  inventory: Inventory;
  /** share of requests whose bodies are captured, 0..1 */
  sampleRate: number;
  maxBodyBytes: number;
}

/** request headers whose values are credentials: kept as their scheme word, or '<redacted>' */
const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'x-api-key', 'api-key', 'apikey', 'x-apikey', 'x-auth-token', 'x-access-token', 'x-goog-api-key', 'ocp-apim-subscription-key', 'signature']);
/** request headers discovery reads; the others are not copied */
const KEPT_HEADERS = ['authorization', 'cookie', 'content-type', 'user-agent', 'x-api-key', 'api-key', 'apikey', 'x-apikey', 'x-auth-token', 'x-access-token', 'x-goog-api-key', 'ocp-apim-subscription-key', 'signature'];

export function createDiscoveryTap(options: DiscoveryTapOptions): DiscoveryTap {
  const { inventory, maxBodyBytes } = options;
  const rate = Math.min(1, Math.max(0, options.sampleRate));
  let credit = 0;

  return {
    startSample() {
      if (rate === 0) return null;
      if (rate < 1) {
        credit += rate;
        if (credit < 1) return null;
        credit -= 1;
      }
      return { request: new BodyCapture(maxBodyBytes), response: new BodyCapture(maxBodyBytes) };
    },

    observe(event, headers, sample, response, hasClientCertificate) {
      // a request refused before routing says nothing about the API's surface
      if (event.class === 'rejected' || event.path === null) return;
      const requestHeaders = keptHeaders(headers);
      const responseHeaders: Record<string, string> = {};
      if (response?.contentType) responseHeaders['content-type'] = response.contentType;
      if (response?.deprecation) responseHeaders.deprecation = response.deprecation;
      if (response?.sunset) responseHeaders.sunset = response.sunset;
      const q = event.rawPath.indexOf('?');
      const observed: ObservedRequest = {
        time: event.time,
        method: event.method,
        host: event.host,
        path: event.path,
        query: q < 0 ? null : event.rawPath.slice(q + 1),
        status: event.status,
        clientIp: event.clientIp,
        userAgent: event.userAgent,
        bytesOut: event.bytesOut,
        latencyMs: event.latencyMs,
        requestHeaders,
        responseHeaders,
        requestBody: sample ? sample.request.toSample(headerText(headers['content-type'])) : null,
        responseBody: sample ? sample.response.toSample(response?.contentType ?? null) : null,
      };
      const documented = event.class === 'documented' || (event.class === 'zombie' && event.template !== null);
      inventory.observe(observed, {
        template: documented ? event.template : null,
        operationId: documented ? event.operationId : null,
        auth: hasClientCertificate ? 'mtls' : authFromOutcome(event),
      });
    },
  };
}

/** the access-control outcome says more than the headers when the gateway checked */
function authFromOutcome(event: GatewayEvent): AuthSeen | null {
  // 'anonymous' and 'public' mean no credential was offered; the others leave it to the headers
  if (event.auth === 'anonymous' || event.auth === 'public' || event.auth === 'missing') return 'none';
  return null;
}

function keptHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of KEPT_HEADERS) {
    const value = headerText(headers[name]);
    if (value === null) continue;
    out[name] = CREDENTIAL_HEADERS.has(name) ? redact(name, value) : value;
  }
  return out;
}

function redact(name: string, value: string): string {
  if (name === 'authorization' || name === 'proxy-authorization') {
    const space = value.indexOf(' ');
    const scheme = space > 0 && space <= 32 ? value.slice(0, space) : '';
    return scheme === '' ? '<redacted>' : `${scheme} <redacted>`;
  }
  if (name === 'cookie') {
    // names only: a session cookie is told by its name
    return value.split(';').map((part) => {
      const eq = part.indexOf('=');
      return eq < 0 ? part.trim() : `${part.slice(0, eq).trim()}=<redacted>`;
    }).join('; ');
  }
  return '<redacted>';
}

function headerText(value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  return Array.isArray(value) ? value.join(', ') : value;
}
