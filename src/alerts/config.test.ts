import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { AlertsConfigError, loadAlertsConfig, parseAlerts } from './config.ts';
import { alertManagerOptionsOf, createSinks } from './create-sinks.ts';
import { createAlertManager } from './lifecycle.ts';
import { resolveAlertSecret } from './secrets.ts';
import { collectingLogger } from './test-helpers.ts';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/alerts/', import.meta.url));
const section = (file: string): unknown => (parse(readFileSync(join(FIXTURES, file), 'utf8')) as { alerts: unknown }).alerts;
const ENV = { APIWARDEN_WEBHOOK_KEY: 'whsec_webhook_key', SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T0/B0/SECRET', SMTP_PASSWORD: 'smtp-secret' };

describe('alerts config', () => {
  it('parses every sink type with every field', () => {
    const c = loadAlertsConfig(section('valid.yaml'));
    assert.equal(c.resolveAfterMs, 300_000);
    assert.equal(c.repeatIntervalMs, 3_600_000);
    assert.equal(c.groupWaitMs, 10_000);
    assert.deepEqual(c.groupBy, ['operation', 'identityKind']);
    assert.equal(c.maxFiring, 5000);
    assert.deepEqual(c.delivery, { maxAttempts: 5, baseDelayMs: 500, maxDelayMs: 30_000, maxQueue: 1000, attemptTimeoutMs: 30_000 });
    assert.deepEqual(c.sinks.map((s) => [s.type, s.name]), [
      ['webhook', 'soc'], ['slack', 'slack'], ['pagerduty', 'pagerduty'], ['alertmanager', 'alertmanager'],
      ['syslog', 'siem-udp'], ['syslog', 'syslog-5'], ['email', 'email'],
    ]);
    const [webhook, slack, pd, , udp, tcp, email] = c.sinks;
    assert.deepEqual(webhook, {
      type: 'webhook', name: 'soc', url: 'https://soc.example.com/hooks/apiwarden', secret: { env: 'APIWARDEN_WEBHOOK_KEY' },
      minSeverity: 'medium', kinds: ['firing', 'resolved', 'digest'], timeoutMs: 5000, delivery: { maxAttempts: 3 },
    });
    assert.deepEqual(slack!.type === 'slack' && slack!.url, { env: 'SLACK_WEBHOOK_URL' });
    assert.deepEqual(pd!.type === 'pagerduty' && pd!.routingKey, { file: 'secrets/pagerduty-routing-key' });
    assert.equal(pd!.minSeverity, 'high');
    assert.deepEqual(udp!.type === 'syslog' && [udp!.protocol, udp!.port, udp!.facility, udp!.maxMessageBytes], ['udp', 5514, 'local0', null]);
    assert.deepEqual(tcp!.type === 'syslog' && [tcp!.protocol, tcp!.facility, tcp!.hostname], ['tcp', 'local4', 'gateway-eu1']);
    assert.deepEqual(email!.type === 'email' && email!.to, ['soc@example.com', 'On call <oncall@example.com>']);
    assert.ok(!JSON.stringify(c).includes('R0ABCDEF'), 'the parsed config holds references, not secrets');
  });

  it('fills in defaults for an empty section', () => {
    const c = loadAlertsConfig(section('minimal.yaml'));
    assert.deepEqual(c, {
      resolveAfterMs: 300_000, repeatIntervalMs: 3_600_000, groupWaitMs: 10_000, groupBy: [], maxNotificationsPerMinute: 30,
      maxFiring: 10_000, maxResolvedKept: 1000,
      delivery: { maxAttempts: 5, baseDelayMs: 500, maxDelayMs: 30_000, maxQueue: 1000, attemptTimeoutMs: 30_000 },
      sinks: [],
    });
    assert.deepEqual(loadAlertsConfig(undefined), c);
    assert.equal(loadAlertsConfig({ groupWait: 0 }).groupWaitMs, 0, 'groupWait 0 sends at once');
    assert.equal(loadAlertsConfig({ groupWait: '0s' }).groupWaitMs, 0);
  });

  describe('refuses invalid sections with the field path', () => {
    const dir = join(FIXTURES, 'invalid');
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()) {
      it(file, () => {
        const text = readFileSync(join(dir, file), 'utf8');
        const expected = [...text.matchAll(/^# expect: (.+)$/gm)].map((m) => m[1]!);
        assert.ok(expected.length > 0, 'the fixture lists what it expects');
        const err = (() => {
          try {
            loadAlertsConfig((parse(text) as { alerts: unknown }).alerts);
          } catch (e) {
            return e;
          }
          return null;
        })();
        assert.ok(err instanceof AlertsConfigError, 'must fail');
        assert.equal(err.code, 'CONFIG_INVALID');
        const lines = err.message.split('\n');
        for (const e of expected) assert.ok(lines.some((l) => l.startsWith(e)), `expected a line starting with:\n  ${e}\ngot:\n  ${lines.join('\n  ')}`);
        assert.equal(lines.length, expected.length, `exactly the expected problems:\n  ${lines.join('\n  ')}`);
      });
    }
  });

  it('reports through the policy loader interface, paths as lists', () => {
    const reported: Array<[Array<string | number>, string]> = [];
    parseAlerts({ sinks: [{ type: 'webhook', url: 'https://x.example', secret: { env: 'K' }, colour: 'red' }] }, { report: (path, message) => reported.push([path, message]) });
    assert.deepEqual(reported.map(([p]) => p), [['alerts', 'sinks', 0, 'colour']]);
  });
});

describe('secrets and sinks from the config', () => {
  it('resolves env, file (relative, one trailing newline dropped) and value', () => {
    const dir = mkdtempSync(join(tmpdir(), 'apiwarden-secret-'));
    writeFileSync(join(dir, 'key'), 's3cret\n');
    assert.equal(resolveAlertSecret({ env: 'K' }, 'f', { env: { K: 'from-env' } }), 'from-env');
    assert.equal(resolveAlertSecret({ file: 'key' }, 'f', { baseDir: dir }), 's3cret');
    assert.equal(resolveAlertSecret({ value: 'inline' }, 'f'), 'inline');
    assert.throws(() => resolveAlertSecret({ env: 'MISSING_VAR' }, 'alerts.sinks[0].secret', { env: {} }), { code: 'ALERT_SECRET_UNAVAILABLE', message: 'alerts.sinks[0].secret: environment variable MISSING_VAR is not set' });
    assert.throws(() => resolveAlertSecret({ file: 'nope' }, 'alerts.sinks[0].secret', { baseDir: dir }), { message: `alerts.sinks[0].secret: cannot read secret file ${join(dir, 'nope')} (ENOENT)` });
    writeFileSync(join(dir, 'empty'), '\n');
    assert.throws(() => resolveAlertSecret({ file: 'empty' }, 'x', { baseDir: dir }), /secret file .* is empty/);
    rmSync(dir, { recursive: true, force: true });
  });

  it('builds every sink, with routes, and names each failing secret without its value', async () => {
    const config = loadAlertsConfig(section('valid.yaml'));
    const routes = createSinks(config, { env: ENV, baseDir: FIXTURES });
    assert.deepEqual(routes.map((r) => [r.sink.name, r.minSeverity]), [
      ['soc', 'medium'], ['slack', 'info'], ['pagerduty', 'high'], ['alertmanager', 'info'], ['siem-udp', 'info'], ['syslog-5', 'info'], ['email', 'info'],
    ]);
    assert.deepEqual(routes[0]!.kinds, ['firing', 'resolved', 'digest']);
    assert.deepEqual(routes[0]!.delivery, { maxAttempts: 3 });
    assert.ok(routes[2]!.sink.redact?.includes('R0ABCDEF0123456789ABCDEF01234567'), 'the file secret was read and is scrubbed');
    for (const r of routes) await r.sink.close?.();

    assert.throws(() => createSinks(config, { env: { ...ENV, SLACK_WEBHOOK_URL: 'not a url with SECRET', SMTP_PASSWORD: undefined }, baseDir: FIXTURES }), (err: Error) => {
      assert.equal(err.message, [
        'alerts.sinks[1].url: the secret is not an http:// or https:// URL',
        'alerts.sinks[6].password: environment variable SMTP_PASSWORD is not set',
      ].join('\n'));
      return true;
    });
  });

  it('gives createAlertManager everything it needs', async () => {
    const config = loadAlertsConfig(section('valid.yaml'));
    const options = alertManagerOptionsOf(config, { env: ENV, baseDir: FIXTURES, logger: collectingLogger().logger, clock: () => 0 });
    assert.equal(options.groupWaitMs, 10_000);
    assert.equal(options.sinks?.length, 7);
    const manager = createAlertManager(options);
    assert.deepEqual(manager.stats().sinks.map((s) => s.name), ['soc', 'slack', 'pagerduty', 'alertmanager', 'siem-udp', 'syslog-5', 'email']);
    await manager.close();
  });
});
