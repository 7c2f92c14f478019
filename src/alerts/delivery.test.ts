import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay, createDelivery } from './delivery.ts';
import { SinkError } from './sink-error.ts';
import { collectingLogger, sampleDigest, sampleNotification } from './test-helpers.ts';
import type { Notification, Sink } from './types.ts';

const fast = { baseDelayMs: 1, maxDelayMs: 2 };

function numbered(i: number): Notification {
  return { ...sampleDigest(), id: `n${i}` };
}

/** A sink whose attempts wait until the test lets them go. */
function gatedSink(): Sink & { ids: string[]; open(): void } {
  let release: () => void = () => {};
  let gate = new Promise<void>((r) => (release = r));
  const ids: string[] = [];
  return {
    name: 'gated',
    ids,
    open() {
      release();
      gate = Promise.resolve();
    },
    async send(n) {
      await gate;
      ids.push(n.id);
    },
  };
}

describe('delivery', () => {
  it('retries a failing sink until it succeeds', async () => {
    let calls = 0;
    const log = collectingLogger();
    const d = createDelivery({ name: 'flaky', send: async () => { if (++calls < 3) throw new Error('ECONNRESET'); } }, { ...fast, logger: log.logger });
    d.enqueue(sampleNotification());
    await d.drain();
    assert.equal(calls, 3);
    assert.deepEqual(d.stats(), { name: 'flaky', sent: 1, failed: 0, dropped: 0, retried: 2, queued: 0, isInFlight: false });
    assert.equal(log.entries.filter((e) => e.level === 'warn').length, 2);
    assert.equal(log.entries[0]!.detail.fingerprint, '0123456789abcdef');
  });

  it('does not retry what the receiver refused', async () => {
    let calls = 0;
    const log = collectingLogger();
    const d = createDelivery({ name: 'strict', send: async () => { calls++; throw new SinkError('ALERT_SINK_REJECTED', 'POST http://127.0.0.1 answered 400'); } }, { ...fast, logger: log.logger });
    d.enqueue(sampleNotification());
    await d.drain();
    assert.equal(calls, 1);
    assert.equal(d.stats().failed, 1);
    assert.equal(log.entries[0]!.detail.code, 'ALERT_SINK_REJECTED');
    assert.match(log.entries[0]!.message, /not retried/);
  });

  it('stops after maxAttempts', async () => {
    let calls = 0;
    const d = createDelivery({ name: 'down', send: async () => { calls++; throw new SinkError('ALERT_SINK_UNAVAILABLE', 'down'); } }, { ...fast, maxAttempts: 4, logger: collectingLogger().logger });
    d.enqueue(sampleNotification());
    d.enqueue(sampleNotification('resolved'));
    await d.drain();
    assert.equal(calls, 8);
    assert.equal(d.stats().failed, 2);
    assert.equal(d.stats().retried, 6);
  });

  it('keeps order and drops the oldest waiting notification when the queue is full', async () => {
    const sink = gatedSink();
    const log = collectingLogger();
    const d = createDelivery(sink, { ...fast, maxQueue: 3, logger: log.logger });
    for (let i = 0; i < 7; i++) d.enqueue(numbered(i)); // n0 is in flight; n1..n6 compete for 3 places
    assert.equal(d.stats().queued, 3);
    assert.equal(d.stats().dropped, 3);
    sink.open();
    await d.drain();
    assert.deepEqual(sink.ids, ['n0', 'n4', 'n5', 'n6']);
    assert.equal(d.stats().sent, 4);
    assert.deepEqual(log.entries.map((e) => e.detail.notification), ['n1', 'n2', 'n3']);
  });

  it('counts a hung attempt as failed after attemptTimeoutMs', async () => {
    const d = createDelivery({ name: 'hangs', send: () => new Promise<void>(() => {}) }, { ...fast, maxAttempts: 2, attemptTimeoutMs: 5, logger: collectingLogger().logger });
    d.enqueue(sampleNotification());
    await d.drain();
    assert.equal(d.stats().failed, 1);
    assert.equal(d.stats().retried, 1);
  });

  it('catches a sink that throws synchronously and a logger that throws', async () => {
    const throwingLogger = { warn: () => { throw new Error('logger down'); }, error: () => { throw new Error('logger down'); } };
    const d = createDelivery({ name: 'sync', send: (): Promise<void> => { throw new TypeError('boom'); } }, { ...fast, maxAttempts: 2, logger: throwingLogger });
    assert.doesNotThrow(() => d.enqueue(sampleNotification()));
    await d.drain();
    assert.equal(d.stats().failed, 1);
  });

  it('scrubs the sink secrets from every log line', async () => {
    const secret = 'R0UT1NG-KEY-abc123';
    const log = collectingLogger();
    const d = createDelivery(
      { name: 'pd', redact: [secret], send: async () => { throw new Error(`invalid routing_key "${secret}"`); } },
      { ...fast, maxAttempts: 2, logger: log.logger },
    );
    d.enqueue(sampleNotification());
    await d.drain();
    assert.ok(log.entries.length === 2);
    assert.ok(!log.text().includes(secret));
    assert.match(String(log.entries[1]!.detail.error), /invalid routing_key "\[redacted\]"/);
  });

  it('close() drops what is queued, cancels a waiting retry and closes the sink', async () => {
    let closed = 0;
    let calls = 0;
    const d = createDelivery(
      { name: 'slow', send: async () => { calls++; throw new Error('down'); }, close: () => void closed++ },
      { baseDelayMs: 60_000, maxDelayMs: 60_000, logger: collectingLogger().logger },
    );
    d.enqueue(numbered(1));
    d.enqueue(numbered(2));
    await new Promise((r) => setImmediate(r)); // the first attempt fails; its retry waits a minute
    await d.close();
    assert.equal(calls, 1);
    assert.equal(closed, 1);
    assert.equal(d.stats().dropped, 2, 'the one waiting to retry and the one queued');
    d.enqueue(numbered(3));
    assert.equal(d.stats().dropped, 3, 'after close, notifications are counted as dropped');
  });

  it('backs off exponentially with jitter, within bounds, honouring Retry-After', () => {
    const o = { baseDelayMs: 100, maxDelayMs: 1000 };
    assert.equal(backoffDelay(1, o, () => 0, null), 50);
    assert.equal(backoffDelay(1, o, () => 1, null), 100);
    assert.equal(backoffDelay(3, o, () => 1, null), 400);
    assert.equal(backoffDelay(3, o, () => 0, null), 200);
    assert.equal(backoffDelay(10, o, () => 1, null), 1000);
    assert.equal(backoffDelay(60, o, () => 0.5, null), 750);
    assert.equal(backoffDelay(1, o, () => 0, 700), 700);
    assert.equal(backoffDelay(1, o, () => 0, 5000), 1000, 'Retry-After is capped too');
  });
});
