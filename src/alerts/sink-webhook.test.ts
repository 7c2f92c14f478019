import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SinkError } from './sink-error.ts';
import { createWebhookSink } from './sink-webhook.ts';
import { freePort, sampleDigest, sampleNotification, startHttpReceiver, type HttpReceiver, type ReceivedRequest } from './test-helpers.ts';
import { NOTIFICATION_KINDS, type Notification } from './types.ts';

const SECRET = 'whsec_3f9a1c7e5b2d4f60';
const TOLERANCE_S = 300;

/** What a receiver does: recompute the HMAC over "<timestamp>.<raw body>", compare in constant time, check freshness. */
function verify(req: ReceivedRequest, secret: string, nowMs = Date.now()): boolean {
  const timestamp = String(req.headers['x-apiwarden-timestamp'] ?? '');
  const signature = String(req.headers['x-apiwarden-signature'] ?? '');
  if (!/^\d+$/.test(timestamp) || Math.abs(nowMs / 1000 - Number(timestamp)) > TOLERANCE_S) return false;
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(`${timestamp}.${req.body}`).digest('hex')}`);
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

describe('webhook sink', () => {
  let receiver: HttpReceiver;
  before(async () => {
    receiver = await startHttpReceiver();
  });
  after(() => receiver.close());

  it('POSTs signed JSON that a receiver can verify, and that fails with a wrong key', async () => {
    receiver.requests.length = 0;
    receiver.answer = { status: 204, body: '' };
    const sink = createWebhookSink({ url: `${receiver.url}/hooks/apiwarden`, secret: SECRET });
    const n = sampleNotification('firing');
    await sink.send(n);
    const req = receiver.requests[0]!;
    assert.equal(req.method, 'POST');
    assert.equal(req.url, '/hooks/apiwarden');
    assert.equal(req.headers['content-type'], 'application/json');
    assert.equal(req.headers['x-apiwarden-delivery'], n.id);
    assert.match(String(req.headers['user-agent']), /^apiwarden\//);
    assert.ok(verify(req, SECRET), 'valid with the shared key');
    assert.ok(!verify(req, 'whsec_wrong'), 'invalid with another key');
    assert.ok(!verify({ ...req, body: req.body.replace('"high"', '"low"') }, SECRET), 'invalid once the body is changed');
    assert.ok(!verify({ ...req, headers: { ...req.headers, 'x-apiwarden-timestamp': String(Number(req.headers['x-apiwarden-timestamp']) - 1) } }, SECRET), 'the timestamp is signed');
    assert.ok(!verify(req, SECRET, Date.now() + 10 * 60_000), 'a replay ten minutes later is refused by the receiver');

    const body = JSON.parse(req.body) as { version: number; kind: string; alert: Record<string, unknown> & { evidence: { exampleRequests: Array<{ time: string }> } } };
    assert.equal(body.version, 1);
    assert.equal(body.kind, 'firing');
    assert.equal(body.alert.fingerprint, '0123456789abcdef');
    assert.equal(body.alert.severity, 'high');
    assert.equal(body.alert.startsAt, '2023-11-14T22:13:20.000Z');
    assert.equal(body.alert.endsAt, null);
    assert.equal(body.alert.evidence.exampleRequests[0]!.time, '2023-11-14T22:13:20.000Z');
    assert.ok(!req.body.includes(SECRET));
  });

  it('signs every attempt with its own timestamp', async () => {
    receiver.requests.length = 0;
    receiver.answer = { status: 200, body: '{}' };
    let now = 1_700_000_000_000;
    const sink = createWebhookSink({ url: receiver.url, secret: SECRET, now: () => now });
    await sink.send(sampleDigest());
    now += 3_600_000;
    await sink.send(sampleDigest());
    const [a, b] = receiver.requests;
    assert.equal(a!.headers['x-apiwarden-timestamp'], '1700000000');
    assert.equal(b!.headers['x-apiwarden-timestamp'], '1700003600');
    assert.equal(a!.body, b!.body);
    assert.notEqual(a!.headers['x-apiwarden-signature'], b!.headers['x-apiwarden-signature']);
    assert.ok(verify(b!, SECRET, now));
    assert.equal(JSON.parse(a!.body).digest.suppressed, 42);
  });

  it('sends every notification kind', async () => {
    receiver.requests.length = 0;
    receiver.answer = { status: 200, body: '{}' };
    const sink = createWebhookSink({ url: receiver.url, secret: SECRET });
    const all: Notification[] = [sampleNotification('firing'), sampleNotification('repeat'), sampleNotification('resolved'), sampleNotification('acknowledged'), sampleDigest()];
    for (const n of all) await sink.send(n);
    assert.deepEqual(receiver.requests.map((r) => JSON.parse(r.body).kind), NOTIFICATION_KINDS);
    assert.ok(receiver.requests.every((r) => verify(r, SECRET)));
  });

  it('turns answers into retryable or final errors that show no secret', async () => {
    const sink = createWebhookSink({ url: `${receiver.url}/hook?token=query-secret-123`, secret: SECRET, timeoutMs: 200 });
    receiver.answer = { status: 503, body: 'busy', headers: { 'retry-after': '7' } };
    const unavailable = await sink.send(sampleNotification()).then(() => null, (e: unknown) => e);
    assert.ok(unavailable instanceof SinkError);
    assert.equal(unavailable.code, 'ALERT_SINK_UNAVAILABLE');
    assert.equal(unavailable.isRetryable, true);
    assert.equal(unavailable.retryAfterMs, 7000);
    assert.equal(unavailable.message, `POST ${receiver.url} answered 503: busy`);

    receiver.answer = { status: 401, body: '{"error":"bad signature"}' };
    const refused = await sink.send(sampleNotification()).then(() => null, (e: unknown) => e);
    assert.ok(refused instanceof SinkError);
    assert.equal(refused.code, 'ALERT_SINK_REJECTED');
    assert.equal(refused.isRetryable, false);

    receiver.answer = { status: 200, body: '', hang: true };
    const timedOut = await sink.send(sampleNotification()).then(() => null, (e: unknown) => e);
    assert.ok(timedOut instanceof SinkError);
    assert.equal(timedOut.isRetryable, true);
    assert.match(timedOut.message, /no answer within 200 ms|timeout/i);

    const closed = createWebhookSink({ url: `http://127.0.0.1:${await freePort()}/hook?token=query-secret-123`, secret: SECRET });
    const unreachable = await closed.send(sampleNotification()).then(() => null, (e: unknown) => e);
    assert.ok(unreachable instanceof SinkError);
    assert.equal(unreachable.isRetryable, true);
    for (const e of [unavailable, refused, timedOut, unreachable]) {
      assert.ok(!e.message.includes('query-secret-123') && !e.message.includes(SECRET) && !e.message.includes('/hook'), e.message);
    }
    assert.ok(sink.redact?.includes(SECRET));
  });
});
