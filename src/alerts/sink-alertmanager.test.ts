import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { alertmanagerAlertsOf, createAlertmanagerSink, labelName, STORM_ALERTNAME } from './sink-alertmanager.ts';
import { eventually, findBinary, freePort, LOOPBACK, sampleDigest, sampleNotification, startHttpReceiver, startProcess, type Started } from './test-helpers.ts';
import type { AlertNotification, Severity } from './types.ts';

/** A notification about an alert happening now (Alertmanager drops alerts whose endsAt has passed). */
function current(kind: AlertNotification['kind'], severity: Severity, fingerprint: string): AlertNotification {
  const n = sampleNotification(kind) as AlertNotification;
  const now = Date.now();
  return {
    ...n,
    time: now,
    validUntil: kind === 'resolved' ? null : now + 2 * 3_600_000,
    alert: { ...n.alert, fingerprint, severity, startsAt: now - 60_000, lastSeenAt: now, endsAt: kind === 'resolved' ? now : null },
  };
}

describe('alertmanager sink: payload', () => {
  it('makes label names valid and keeps reserved ones ours', () => {
    assert.equal(labelName('operation'), 'operation');
    assert.equal(labelName('identity.kind'), 'identity_kind');
    assert.equal(labelName('9lives'), '_9lives');
    assert.equal(labelName('severity'), 'label_severity');
  });

  it('labels identify the alert; annotations describe it; endsAt follows validUntil, then the resolution', () => {
    const firing = sampleNotification('firing') as AlertNotification;
    const [a] = alertmanagerAlertsOf(firing, 'https://warden.example.com/alerts/{fingerprint}', undefined);
    assert.deepEqual(a!.labels, { operation: 'GET /v2/phones/{phone}/status', alertname: 'distributed-enumeration', severity: 'high', fingerprint: '0123456789abcdef' });
    assert.equal(a!.annotations.summary, firing.alert.summary);
    assert.match(a!.annotations.description!, /Top identities: subnet 203\.0\.113\.0\/24 \(1520\)/);
    assert.equal(a!.startsAt, '2023-11-14T22:13:20.000Z');
    assert.equal(a!.endsAt, new Date(firing.validUntil!).toISOString());
    assert.equal(a!.generatorURL, 'https://warden.example.com/alerts/0123456789abcdef');
    const [r] = alertmanagerAlertsOf(sampleNotification('resolved'), null, 'high');
    assert.equal(r!.endsAt, '2023-11-14T22:14:20.000Z');
    assert.equal(r!.generatorURL, undefined);
    const [d] = alertmanagerAlertsOf(sampleDigest(), null, undefined);
    assert.deepEqual(d!.labels, { alertname: STORM_ALERTNAME, severity: 'critical' });
  });

  it('resolves the old label set when the severity rises', () => {
    const n = sampleNotification('repeat');
    const out = alertmanagerAlertsOf(n, null, 'medium');
    assert.equal(out.length, 2);
    assert.equal(out[1]!.labels.severity, 'medium');
    assert.equal(out[1]!.endsAt, new Date(n.time).toISOString());
  });

  it('posts to /api/v2/alerts and skips acknowledgements', async () => {
    const receiver = await startHttpReceiver();
    try {
      const sink = createAlertmanagerSink({ url: `${receiver.url}/` });
      assert.ok(!sink.kinds?.includes('acknowledged'));
      await sink.send(sampleNotification('firing'));
      assert.equal(receiver.requests[0]!.url, '/api/v2/alerts');
      assert.ok(Array.isArray(JSON.parse(receiver.requests[0]!.body)));
    } finally {
      await receiver.close();
    }
  });
});

const binary = findBinary('prometheus-alertmanager', 'alertmanager');

describe('alertmanager sink against the real Alertmanager', { skip: binary ? false : 'prometheus-alertmanager is not installed (apt-get install -y prometheus-alertmanager)' }, () => {
  let dir: string;
  let am: Started;
  let url: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'apiwarden-am-'));
    // the smallest valid configuration: one receiver that sends nowhere
    writeFileSync(join(dir, 'alertmanager.yml'), 'route:\n  receiver: blackhole\nreceivers:\n  - name: blackhole\n');
    const port = await freePort();
    url = `http://${LOOPBACK}:${port}`;
    am = startProcess(binary!, [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=${LOOPBACK}:${port}`,
      '--cluster.listen-address=', // no gossip: a single instance, no other port
    ]);
    await eventually(async () => {
      if (am.child.exitCode !== null) throw new Error(`alertmanager exited:\n${am.output()}`);
      try {
        const res = await request(`${url}/-/ready`);
        await res.body.text();
        return res.statusCode === 200;
      } catch {
        return false;
      }
    }, 'alertmanager ready', 200, 50);
  });

  after(async () => {
    await am?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function activeAlerts(): Promise<Array<{ labels: Record<string, string>; annotations: Record<string, string>; status: { state: string }; endsAt: string }>> {
    const res = await request(`${url}/api/v2/alerts`);
    assert.equal(res.statusCode, 200);
    return (await res.body.json()) as never;
  }

  it('shows a firing alert with its labels and annotations, and removes it once resolved', async () => {
    const sink = createAlertmanagerSink({ url, link: 'https://warden.example.com/alerts/{fingerprint}' });
    await sink.send(current('firing', 'high', 'aaaaaaaaaaaaaaaa'));
    const alerts = await activeAlerts();
    const found = alerts.find((a) => a.labels.fingerprint === 'aaaaaaaaaaaaaaaa');
    assert.ok(found, `not in ${JSON.stringify(alerts)}`);
    assert.equal(found.labels.alertname, 'distributed-enumeration');
    assert.equal(found.labels.severity, 'high');
    assert.equal(found.labels.operation, 'GET /v2/phones/{phone}/status');
    assert.equal(found.status.state, 'active');
    assert.match(found.annotations.summary!, /^distributed enumeration/);
    assert.match(found.annotations.description!, /Counts: requests=5120/);

    await sink.send(current('resolved', 'high', 'aaaaaaaaaaaaaaaa'));
    // GET /api/v2/alerts lists unresolved alerts only
    assert.equal((await activeAlerts()).filter((a) => a.labels.fingerprint === 'aaaaaaaaaaaaaaaa').length, 0);
  });

  it('keeps one alert when the severity rises', async () => {
    const sink = createAlertmanagerSink({ url });
    await sink.send(current('firing', 'medium', 'bbbbbbbbbbbbbbbb'));
    await sink.send(current('repeat', 'critical', 'bbbbbbbbbbbbbbbb'));
    const mine = (await activeAlerts()).filter((a) => a.labels.fingerprint === 'bbbbbbbbbbbbbbbb');
    assert.deepEqual(mine.map((a) => a.labels.severity), ['critical']);
  });

  it('accepts the storm digest', async () => {
    const sink = createAlertmanagerSink({ url });
    await sink.send({ ...sampleDigest(), time: Date.now(), windowStart: Date.now() - 60_000 });
    assert.ok((await activeAlerts()).some((a) => a.labels.alertname === STORM_ALERTNAME));
  });
});
