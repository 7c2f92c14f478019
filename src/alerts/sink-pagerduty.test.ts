import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createDelivery } from './delivery.ts';
import { SinkError } from './sink-error.ts';
import { createPagerDutySink, STORM_DEDUP_KEY } from './sink-pagerduty.ts';
import { collectingLogger, sampleDigest, sampleNotification, startHttpReceiver, type HttpReceiver } from './test-helpers.ts';

const ROUTING_KEY = 'R0ABCDEF0123456789ABCDEF01234567';

interface PdEvent {
  routing_key: string;
  event_action: string;
  dedup_key: string;
  client?: string;
  client_url?: string;
  payload?: { summary: string; source: string; severity: string; timestamp: string; component: string; group: string; class: string; custom_details: Record<string, unknown> };
}

describe('pagerduty sink (Events API v2)', () => {
  let receiver: HttpReceiver;
  before(async () => {
    receiver = await startHttpReceiver();
  });
  after(() => receiver.close());
  const accepted = () => ({ status: 202, body: JSON.stringify({ status: 'success', message: 'Event processed', dedup_key: '0123456789abcdef' }) });

  it('triggers, acknowledges and resolves with the fingerprint as dedup_key', async () => {
    receiver.requests.length = 0;
    receiver.answer = accepted();
    const sink = createPagerDutySink({ url: `${receiver.url}/v2/enqueue`, routingKey: ROUTING_KEY, source: 'gateway-eu1', link: 'https://warden.example.com/alerts/{fingerprint}' });
    for (const kind of ['firing', 'repeat', 'acknowledged', 'resolved'] as const) await sink.send(sampleNotification(kind));
    assert.ok(receiver.requests.every((r) => r.method === 'POST' && r.url === '/v2/enqueue'));
    const events = receiver.requests.map((r) => JSON.parse(r.body) as PdEvent);
    assert.deepEqual(events.map((e) => e.event_action), ['trigger', 'trigger', 'acknowledge', 'resolve']);
    assert.ok(events.every((e) => e.dedup_key === '0123456789abcdef' && e.routing_key === ROUTING_KEY));
    const trigger = events[0]!;
    assert.equal(trigger.client, 'apiwarden');
    assert.equal(trigger.client_url, 'https://warden.example.com/alerts/0123456789abcdef');
    assert.deepEqual(
      { ...trigger.payload, custom_details: undefined },
      {
        summary: 'distributed enumeration on GET /v2/phones/{phone}/status: 412 addresses, 95 % misses',
        source: 'gateway-eu1',
        severity: 'error',
        timestamp: '2023-11-14T22:14:20.000Z',
        component: 'GET /v2/phones/{phone}/status',
        group: 'apiwarden',
        class: 'distributed-enumeration',
        custom_details: undefined,
      },
    );
    assert.equal(trigger.payload!.custom_details.signals, 7);
    assert.deepEqual(trigger.payload!.custom_details.counts, { requests: 5120, addresses: 412, misses: 4864 });
    assert.equal(events[2]!.payload, undefined, 'acknowledge and resolve carry no payload');
  });

  it('maps severities and bounds the summary to 1024 characters', async () => {
    receiver.requests.length = 0;
    receiver.answer = accepted();
    const sink = createPagerDutySink({ url: `${receiver.url}/v2/enqueue`, routingKey: ROUTING_KEY });
    const severities = ['critical', 'high', 'medium', 'low', 'info'] as const;
    for (const severity of severities) {
      const n = sampleNotification('firing');
      if (n.kind === 'digest') throw new Error('unreachable');
      await sink.send({ ...n, alert: { ...n.alert, severity, summary: 'x'.repeat(3000) } });
    }
    const events = receiver.requests.map((r) => JSON.parse(r.body) as PdEvent);
    assert.deepEqual(events.map((e) => e.payload!.severity), ['critical', 'error', 'warning', 'info', 'info']);
    assert.ok(events.every((e) => e.payload!.summary.length === 1024));
  });

  it('pages once for a storm digest', async () => {
    receiver.requests.length = 0;
    receiver.answer = accepted();
    const sink = createPagerDutySink({ url: `${receiver.url}/v2/enqueue`, routingKey: ROUTING_KEY });
    await sink.send(sampleDigest());
    const e = JSON.parse(receiver.requests[0]!.body) as PdEvent;
    assert.equal(e.event_action, 'trigger');
    assert.equal(e.dedup_key, STORM_DEDUP_KEY);
    assert.equal(e.payload!.severity, 'critical');
    assert.equal(e.payload!.custom_details.suppressed, 42);
  });

  it('never lets the routing key into an error or a log line, even when PagerDuty echoes it', async () => {
    receiver.answer = { status: 400, body: JSON.stringify({ status: 'invalid event', message: 'Event object is invalid', errors: [`routing_key ${ROUTING_KEY} is not a valid integration`] }) };
    const log = collectingLogger();
    const sink = createPagerDutySink({ url: `${receiver.url}/v2/enqueue`, routingKey: ROUTING_KEY });
    const err = await sink.send(sampleNotification()).then(() => null, (e: unknown) => e);
    assert.ok(err instanceof SinkError && err.code === 'ALERT_SINK_REJECTED');
    const d = createDelivery(sink, { logger: log.logger, baseDelayMs: 1, maxDelayMs: 1 });
    d.enqueue(sampleNotification());
    await d.drain();
    assert.equal(d.stats().failed, 1);
    assert.equal(log.entries.length, 1);
    assert.ok(!log.text().includes(ROUTING_KEY));
    assert.match(log.text(), /routing_key \[redacted\]/);
  });
});
