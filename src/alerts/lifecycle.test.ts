import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createAlertManager, type AlertManagerOptions } from './lifecycle.ts';
import { fingerprintOf } from './fingerprint.ts';
import { SinkError } from './sink-error.ts';
import { collectingLogger, memorySink, sampleSignal } from './test-helpers.ts';
import type { AlertSignal, Notification } from './types.ts';

const T0 = 1_700_000_000_000;
const MIN = 60_000;

/** A manager on a simulated clock with one memory sink. */
function setup(options: Partial<AlertManagerOptions> = {}) {
  const clock = { now: T0 };
  const sink = memorySink();
  const log = collectingLogger();
  const manager = createAlertManager({ clock: () => clock.now, groupWaitMs: 0, sinks: [sink], logger: log.logger, ...options });
  const signal = (overrides: Partial<AlertSignal> = {}) => manager.signal(sampleSignal({ time: clock.now, ...overrides }));
  /** advance the simulated clock, ticking every `step` like the production ticker would */
  const advance = (ms: number, step = 1000) => {
    for (const end = clock.now + ms; clock.now < end;) {
      clock.now = Math.min(end, clock.now + step);
      manager.tick(clock.now);
    }
  };
  const kinds = () => sink.received.map((n) => n.kind);
  return { clock, sink, log, manager, signal, advance, kinds };
}

async function settled(manager: { drain(): Promise<void> }) {
  await manager.drain();
}

describe('alert lifecycle', () => {
  it('fires, repeats after the interval, and resolves after silence', async () => {
    const t = setup({ repeatIntervalMs: 10 * MIN, resolveAfterMs: 5 * MIN });
    t.signal();
    await settled(t.manager);
    assert.deepEqual(t.kinds(), ['firing']);
    const first = t.sink.received[0]!;
    assert.equal(first.kind === 'firing' && first.alert.status, 'firing');

    // keep the attack going for 25 minutes: one signal a minute
    for (let i = 0; i < 25; i++) {
      t.advance(MIN);
      t.signal();
    }
    await settled(t.manager);
    assert.deepEqual(t.kinds(), ['firing', 'repeat', 'repeat'], 'a repeat at 10 and 20 minutes, nothing in between');
    const repeat = t.sink.received[2]!;
    assert.ok(repeat.kind === 'repeat');
    assert.equal(repeat.alert.count, 20, 'the tick at 20 minutes comes before that minute\'s signal');
    assert.equal(repeat.time, T0 + 20 * MIN);

    // silence: resolved once resolveAfterMs has passed since the last signal
    const lastSeen = t.clock.now;
    t.advance(5 * MIN - 1000);
    assert.equal(t.manager.list({ status: 'firing' }).length, 1);
    t.advance(1000);
    await settled(t.manager);
    assert.deepEqual(t.kinds(), ['firing', 'repeat', 'repeat', 'resolved']);
    const resolved = t.sink.received[3]!;
    assert.ok(resolved.kind === 'resolved');
    assert.equal(resolved.alert.status, 'resolved');
    assert.equal(resolved.alert.lastSeenAt, lastSeen);
    assert.equal(resolved.alert.endsAt, lastSeen + 5 * MIN);
    assert.equal(resolved.alert.resolvedBy, null);
    assert.equal(resolved.validUntil, null);
    assert.equal(t.manager.list({ status: 'firing' }).length, 0);
    assert.equal(t.manager.list({ status: 'resolved' })[0]!.fingerprint, resolved.alert.fingerprint);

    t.advance(60 * MIN, MIN);
    await settled(t.manager);
    assert.equal(t.sink.received.length, 4, 'nothing after resolution');
  });

  it('deduplicates: the same fingerprint while firing never notifies before the repeat interval', async () => {
    const t = setup({ repeatIntervalMs: 60 * MIN, resolveAfterMs: 30 * MIN });
    for (let i = 0; i < 50; i++) {
      t.signal({ severity: i === 30 ? 'critical' : 'medium', summary: `wave ${i}` });
      t.advance(10_000);
    }
    await settled(t.manager);
    assert.deepEqual(t.kinds(), ['firing']);
    const alert = t.manager.list()[0]!;
    assert.equal(alert.count, 50);
    assert.equal(alert.severity, 'critical', 'the highest severity seen');
    assert.equal(alert.summary, 'wave 49', 'the latest summary');
    assert.equal(t.manager.stats().notifications.firing, 1);
    // the notification was a snapshot: later signals did not change it
    const sent = t.sink.received[0]!;
    assert.ok(sent.kind === 'firing');
    assert.equal(sent.alert.count, 1);
    assert.ok(Object.isFrozen(sent.alert));
  });

  it('groups by rule and the groupBy labels only', async () => {
    const t = setup({ groupBy: ['operation'] });
    t.signal({ labels: { operation: 'GET /a', identity: '203.0.113.1' } });
    t.signal({ labels: { identity: '203.0.113.2', operation: 'GET /a' } });
    t.signal({ labels: { operation: 'GET /b', identity: '203.0.113.1' } });
    t.signal({ rule: 'credential-stuffing', labels: { operation: 'GET /a' } });
    t.signal({ labels: { identity: 'no operation label' } });
    await settled(t.manager);
    const alerts = t.manager.list();
    assert.equal(alerts.length, 4);
    const a = alerts.find((x) => x.rule === 'distributed-enumeration' && x.groupLabels.operation === 'GET /a')!;
    assert.equal(a.count, 2);
    assert.deepEqual(a.groupLabels, { operation: 'GET /a' });
    assert.equal(a.labels.identity, '203.0.113.2', 'all labels of the latest signal');
    assert.equal(a.fingerprint, fingerprintOf('distributed-enumeration', { operation: 'GET /a' }));
    assert.equal(t.sink.received.length, 4);
  });

  it('computes a stable fingerprint: label order does not matter, values cannot shift between labels', () => {
    assert.equal(fingerprintOf('r', { a: '1', b: '2' }), fingerprintOf('r', { b: '2', a: '1' }));
    assert.notEqual(fingerprintOf('r', { a: '1' }), fingerprintOf('r2', { a: '1' }));
    assert.notEqual(fingerprintOf('r', { a: 'x', b: '' }), fingerprintOf('r', { a: '', b: 'x' }));
    assert.notEqual(fingerprintOf('r', {}), fingerprintOf('r', { a: '' }));
    assert.match(fingerprintOf('r', {}), /^[0-9a-f]{16}$/);
  });

  it('waits groupWaitMs before the first notification and sends what it collected', async () => {
    const t = setup({ groupWaitMs: 10_000 });
    t.signal({ severity: 'medium' });
    t.advance(3000);
    t.signal({ severity: 'critical', evidence: { topIdentities: [], counts: { addresses: 900 }, exampleRequests: [] } });
    t.advance(6000);
    await settled(t.manager);
    assert.deepEqual(t.kinds(), [], 'still in the group wait');
    t.advance(1000);
    await settled(t.manager);
    assert.deepEqual(t.kinds(), ['firing']);
    const n = t.sink.received[0]!;
    assert.ok(n.kind === 'firing');
    assert.equal(n.alert.count, 2);
    assert.equal(n.alert.severity, 'critical');
    assert.deepEqual(n.alert.evidence.counts, { addresses: 900 });
    assert.equal(n.time, T0 + 10_000);
  });

  it('sends nothing for an alert resolved during its group wait', async () => {
    const t = setup({ groupWaitMs: 10_000 });
    t.signal();
    const fp = t.manager.list()[0]!.fingerprint;
    const resolved = t.manager.resolve(fp, 'bob');
    assert.equal(resolved?.status, 'resolved');
    t.advance(20_000);
    await settled(t.manager);
    assert.deepEqual(t.kinds(), []);
  });

  it('folds a storm into one digest per minute and counts it', async () => {
    const t = setup({ maxNotificationsPerMinute: 3, groupBy: ['identity'] });
    for (let i = 0; i < 10; i++) t.signal({ rule: i < 8 ? 'enumeration' : 'stuffing', severity: i === 9 ? 'critical' : 'low', labels: { identity: `id-${i}` } });
    await settled(t.manager);
    assert.deepEqual(t.kinds(), ['firing', 'firing', 'firing']);
    assert.equal(t.manager.stats().suppressed, 7);
    assert.equal(t.manager.list({ status: 'firing' }).length, 10, 'suppressed notifications still leave their alerts');

    t.advance(MIN - 1000);
    await settled(t.manager);
    assert.equal(t.sink.received.length, 3, 'no digest before the minute is over');
    t.advance(1000);
    await settled(t.manager);
    assert.deepEqual(t.kinds(), ['firing', 'firing', 'firing', 'digest']);
    const digest = t.sink.received[3]!;
    assert.ok(digest.kind === 'digest');
    assert.equal(digest.suppressed, 7);
    assert.deepEqual(digest.byRule, { enumeration: 5, stuffing: 2 });
    assert.equal(digest.severity, 'critical');
    assert.equal(digest.windowStart, T0);

    t.advance(3 * MIN);
    await settled(t.manager);
    assert.equal(t.sink.received.length, 4, 'one digest, not one per minute, once the storm is over');

    // five minutes of silence resolve all ten at once: a storm of resolutions, throttled the same way
    t.advance(2 * MIN);
    await settled(t.manager);
    assert.deepEqual(t.kinds().slice(4), ['resolved', 'resolved', 'resolved', 'digest']);
    const second = t.sink.received.at(-1)!;
    assert.ok(second.kind === 'digest');
    assert.equal(second.suppressed, 7);
    assert.equal(t.manager.stats().suppressed, 14);
    assert.equal(t.manager.stats().notifications.digest, 2);
  });

  it('limits notifications across all alerts, not per alert', async () => {
    const t = setup({ maxNotificationsPerMinute: 2, groupBy: ['identity'] });
    for (let minute = 0; minute < 3; minute++) {
      for (let i = 0; i < 4; i++) t.signal({ labels: { identity: `m${minute}-${i}` } });
      t.advance(MIN);
    }
    await settled(t.manager);
    const firing = t.kinds().filter((k) => k === 'firing').length;
    const digests = t.sink.received.filter((n): n is Extract<Notification, { kind: 'digest' }> => n.kind === 'digest');
    assert.equal(firing, 6, '2 per minute');
    assert.equal(digests.length, 3);
    assert.deepEqual(digests.map((d) => d.suppressed), [2, 2, 2]);
    assert.equal(t.manager.stats().suppressed, 6);
  });

  it('acknowledges a firing alert once and tells the sinks', async () => {
    const t = setup();
    t.signal();
    const fp = t.manager.list()[0]!.fingerprint;
    t.clock.now += 5000;
    const acked = t.manager.acknowledge(fp, 'alice\r\nInjected: header');
    assert.equal(acked?.acknowledgedBy, 'alice Injected: header');
    assert.equal(acked?.acknowledgedAt, T0 + 5000);
    assert.equal(t.manager.acknowledge(fp, 'bob')?.acknowledgedBy, 'alice Injected: header', 'the first acknowledgement stays');
    assert.equal(t.manager.acknowledge('ffffffffffffffff', 'bob'), undefined);
    await settled(t.manager);
    assert.deepEqual(t.kinds(), ['firing', 'acknowledged']);
    const n = t.sink.received[1]!;
    assert.ok(n.kind === 'acknowledged');
    assert.equal(n.alert.acknowledgedBy, 'alice Injected: header');
    assert.equal(t.manager.get(fp)?.acknowledgedBy, 'alice Injected: header');
  });

  it('an acknowledgement during the group wait rides on the firing notification', async () => {
    const t = setup({ groupWaitMs: 10_000 });
    t.signal();
    t.manager.acknowledge(t.manager.list()[0]!.fingerprint, 'alice');
    t.advance(10_000);
    await settled(t.manager);
    assert.deepEqual(t.kinds(), ['firing']);
    const n = t.sink.received[0]!;
    assert.ok(n.kind === 'firing');
    assert.equal(n.alert.acknowledgedBy, 'alice');
  });

  it('resolves by hand; a later signal opens a new alert', async () => {
    const t = setup();
    t.signal();
    const fp = t.manager.list()[0]!.fingerprint;
    t.advance(2 * MIN);
    const resolved = t.manager.resolve(fp, 'bob');
    assert.equal(resolved?.resolvedBy, 'bob');
    assert.equal(resolved?.endsAt, T0 + 2 * MIN);
    assert.equal(t.manager.resolve(fp, 'bob'), undefined, 'no longer firing');
    t.advance(MIN);
    t.signal();
    await settled(t.manager);
    assert.deepEqual(t.kinds(), ['firing', 'resolved', 'firing']);
    const again = t.manager.get(fp)!;
    assert.equal(again.status, 'firing');
    assert.equal(again.startsAt, T0 + 3 * MIN);
    assert.equal(again.count, 1);
    assert.equal(t.manager.list({ status: 'resolved' }).length, 1);
  });

  it('refuses invalid signals without throwing, and counts them', () => {
    const t = setup();
    assert.doesNotThrow(() => t.manager.signal({ ...sampleSignal(), severity: 'urgent' as never }));
    assert.doesNotThrow(() => t.manager.signal({ ...sampleSignal(), rule: '' }));
    assert.doesNotThrow(() => t.manager.signal(null as never));
    assert.equal(t.manager.stats().invalidSignals, 3);
    assert.equal(t.manager.stats().firing, 0);
    assert.equal(t.log.entries.length, 3);
  });

  it('bounds what a signal carries', () => {
    const t = setup();
    t.signal({
      summary: `line one\nline two ${'x'.repeat(5000)}`,
      evidence: {
        topIdentities: Array.from({ length: 100 }, (_, i) => ({ kind: 'ip', value: `203.0.113.${i}`, count: i })),
        counts: {},
        exampleRequests: Array.from({ length: 100 }, () => ({ time: T0, method: 'GET', target: `/${'a'.repeat(10_000)}`, status: 404, clientIp: '203.0.113.x' })),
      },
    });
    const a = t.manager.list()[0]!;
    assert.ok(!a.summary.includes('\n'));
    assert.ok(a.summary.length <= 1024);
    assert.equal(a.evidence.topIdentities.length, 20);
    assert.equal(a.evidence.exampleRequests.length, 10);
    assert.ok(a.evidence.exampleRequests[0]!.target.length <= 2048);
  });

  it('holds at most maxFiring alerts and counts the overflow', () => {
    const t = setup({ maxFiring: 3, groupBy: ['identity'] });
    for (let i = 0; i < 5; i++) t.signal({ labels: { identity: String(i) } });
    t.signal({ labels: { identity: '0' } });
    assert.equal(t.manager.stats().firing, 3);
    assert.equal(t.manager.stats().overflow, 2);
    assert.equal(t.manager.list()[0]!.count >= 1, true);
    assert.equal(t.log.entries.filter((e) => e.message.includes('too many firing alerts')).length, 1);
  });

  it('lists firing alerts by severity, then newest', () => {
    const t = setup({ groupBy: ['identity'] });
    t.signal({ severity: 'low', labels: { identity: 'a' } });
    t.clock.now += 1000;
    t.signal({ severity: 'critical', labels: { identity: 'b' } });
    t.clock.now += 1000;
    t.signal({ severity: 'low', labels: { identity: 'c' } });
    assert.deepEqual(t.manager.list({ status: 'firing' }).map((a) => a.groupLabels.identity), ['b', 'c', 'a']);
  });

  it('routes by minimum severity and kinds', async () => {
    const clock = { now: T0 };
    const all = memorySink('all');
    const pager = memorySink('pager');
    const onlyFiring = memorySink('only-firing');
    const m = createAlertManager({
      clock: () => clock.now,
      groupWaitMs: 0,
      groupBy: ['identity'],
      logger: collectingLogger().logger,
      sinks: [all, { sink: pager, minSeverity: 'high' }, { sink: onlyFiring, kinds: ['firing'] }],
    });
    m.signal(sampleSignal({ time: T0, severity: 'medium', labels: { identity: 'a' } }));
    m.signal(sampleSignal({ time: T0, severity: 'critical', labels: { identity: 'b' } }));
    for (const a of m.list()) m.resolve(a.fingerprint, 'ops');
    await m.drain();
    assert.equal(all.received.length, 4);
    assert.deepEqual(pager.received.map((n) => n.kind), ['firing', 'resolved']);
    assert.deepEqual(onlyFiring.received.map((n) => n.kind), ['firing', 'firing']);
    const stats = m.stats().sinks;
    assert.deepEqual(stats.map((s) => [s.name, s.sent]), [['all', 4], ['pager', 2], ['only-firing', 2]]);
  });

  it('a sink that always fails: retries bounded and counted, the caller never blocked or thrown at, no secret logged', async () => {
    const secret = 'whsec_TOP-SECRET-KEY/+=';
    const log = collectingLogger();
    let attempts = 0;
    const failing = {
      name: 'broken',
      redact: [secret],
      send: async () => {
        attempts++;
        // a careless library could echo the credential: delivery must scrub it
        throw new SinkError('ALERT_SINK_UNAVAILABLE', `connection reset while sending key=${secret} (${encodeURIComponent(secret)})`);
      },
    };
    const throwsAtOnce = { name: 'throws-synchronously', send: (): Promise<void> => { throw new Error('sync failure'); } };
    const good = memorySink('good');
    const clock = { now: T0 };
    const m = createAlertManager({
      clock: () => clock.now,
      groupWaitMs: 0,
      logger: log.logger,
      delivery: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 },
      sinks: [failing, throwsAtOnce, good],
    });
    // signal() and tick() return synchronously, before any attempt has been made
    const returned = m.signal(sampleSignal({ time: T0 }));
    assert.equal(returned, undefined);
    assert.equal(attempts, 0, 'delivery has not run yet: signal() did not wait for it');
    clock.now += 5 * MIN + 1;
    assert.doesNotThrow(() => m.tick());
    await m.drain();

    assert.equal(attempts, 6, 'firing and resolved, 3 attempts each');
    const [broken, sync, ok] = m.stats().sinks;
    assert.deepEqual({ ...broken, isInFlight: false }, { name: 'broken', sent: 0, failed: 2, dropped: 0, retried: 4, queued: 0, isInFlight: false });
    assert.equal(sync!.failed, 2);
    assert.equal(ok!.sent, 2);
    assert.deepEqual(good.received.map((n) => n.kind), ['firing', 'resolved']);

    const text = log.text();
    assert.ok(log.entries.some((e) => e.level === 'error' && e.detail.sink === 'broken'));
    assert.ok(!text.includes(secret), 'the secret never reaches a log line');
    assert.ok(!text.includes(encodeURIComponent(secret)), 'nor its URL-encoded form');
    assert.match(text, /\[redacted\]/);
    await m.close();
  });
});
