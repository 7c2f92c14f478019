/**
 * The generic webhook: the notification as JSON (render.ts jsonPayloadOf),
 * signed so that the receiver can tell it came from us and is fresh.
 *
 * Signature scheme (GitHub's header format over Stripe's signed material):
 *
 *   X-Apiwarden-Timestamp: <unix seconds at this attempt>
 *   X-Apiwarden-Signature: sha256=<hex HMAC-SHA256(key, "<timestamp>.<raw body>")>
 *   X-Apiwarden-Delivery:  <notification id, the same on every retry>
 *
 * A receiver recomputes the HMAC over the timestamp header, a dot and the raw
 * body bytes (before any JSON parsing), compares in constant time, rejects a
 * timestamp more than a few minutes old (a replay) and may drop a delivery id
 * it has already processed (a retry of a notification it did get).
 * Each attempt is signed afresh, so a retry an hour later is still fresh.
 */
import { createHmac } from 'node:crypto';
import type { Dispatcher } from 'undici';
import { postJson, urlSecrets } from './http-post.ts';
import { jsonPayloadOf } from './render.ts';
import type { Notification, Sink } from './types.ts';

export interface WebhookSinkOptions {
  name?: string;
  url: string;
  /** the HMAC key; never logged */
  secret: string;
  timeoutMs?: number;
  /** the timestamp source (default Date.now) */
  now?: () => number;
  dispatcher?: Dispatcher;
}

export const SIGNATURE_HEADER = 'x-apiwarden-signature';
export const TIMESTAMP_HEADER = 'x-apiwarden-timestamp';
export const DELIVERY_HEADER = 'x-apiwarden-delivery';

/** "sha256=<hex>" over "<timestamp>.<body>". */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex')}`;
}

export function createWebhookSink(options: WebhookSinkOptions): Sink {
  const now = options.now ?? Date.now;
  const timeoutMs = options.timeoutMs ?? 10_000;
  return {
    name: options.name ?? 'webhook',
    redact: [options.secret, ...urlSecrets(options.url)],
    async send(n: Notification) {
      const body = JSON.stringify(jsonPayloadOf(n));
      const timestamp = String(Math.floor(now() / 1000));
      await postJson(options.url, body, {
        timeoutMs,
        dispatcher: options.dispatcher,
        headers: {
          [TIMESTAMP_HEADER]: timestamp,
          [SIGNATURE_HEADER]: signWebhook(options.secret, timestamp, body),
          [DELIVERY_HEADER]: n.id,
        },
      });
    },
  };
}
