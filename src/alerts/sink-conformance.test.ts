/**
 * One suite every sink must pass, whatever it speaks: each kind it declares
 * is accepted by its receiver, a down receiver is a retryable SinkError (a
 * rejected promise, never a synchronous throw), and no error message holds
 * anything the sink asked delivery to redact.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { SinkError } from './sink-error.ts';
import { createAlertmanagerSink } from './sink-alertmanager.ts';
import { createEmailSink } from './sink-email.ts';
import { createPagerDutySink } from './sink-pagerduty.ts';
import { createSlackSink } from './sink-slack.ts';
import { createSyslogSink } from './sink-syslog.ts';
import { createWebhookSink } from './sink-webhook.ts';
import { freePort, LOOPBACK, sampleDigest, sampleNotification, startHttpReceiver, startSyslogReceiver, type HttpReceiver, type SyslogReceiver } from './test-helpers.ts';
import { NOTIFICATION_KINDS, type Notification, type Sink } from './types.ts';

const ALL: Notification[] = [sampleNotification('firing'), sampleNotification('repeat'), sampleNotification('acknowledged'), sampleNotification('resolved'), sampleDigest()];

interface Case {
  name: string;
  /** a sink pointed at the live receiver */
  up(): Sink;
  /** a sink pointed at a port nobody listens on; null when the transport cannot tell (UDP) */
  down: ((port: number) => Sink) | null;
  /** how many messages the receiver has seen */
  seen(): number;
}

describe('sink conformance', () => {
  let http: HttpReceiver;
  let syslog: SyslogReceiver;
  let smtp: SMTPServer;
  let smtpPort: number;
  let mails = 0;

  before(async () => {
    http = await startHttpReceiver();
    syslog = await startSyslogReceiver();
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, _session, callback) {
        stream.resume();
        stream.on('end', () => {
          mails++;
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, LOOPBACK, resolve));
    smtpPort = (smtp.server.address() as AddressInfo).port;
  });
  after(async () => {
    await http.close();
    await syslog.close();
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
  });

  const secret = 'conformance-secret-value';
  const cases: Case[] = [
    { name: 'webhook', up: () => createWebhookSink({ url: `${http.url}/hook`, secret }), down: (p) => createWebhookSink({ url: `http://${LOOPBACK}:${p}/hook`, secret }), seen: () => http.requests.length },
    { name: 'slack', up: () => createSlackSink({ url: `${http.url}/services/${secret}` }), down: (p) => createSlackSink({ url: `http://${LOOPBACK}:${p}/services/${secret}` }), seen: () => http.requests.length },
    { name: 'pagerduty', up: () => createPagerDutySink({ url: `${http.url}/v2/enqueue`, routingKey: secret }), down: (p) => createPagerDutySink({ url: `http://${LOOPBACK}:${p}/v2/enqueue`, routingKey: secret }), seen: () => http.requests.length },
    { name: 'alertmanager', up: () => createAlertmanagerSink({ url: http.url }), down: (p) => createAlertmanagerSink({ url: `http://${LOOPBACK}:${p}` }), seen: () => http.requests.length },
    { name: 'syslog-udp', up: () => createSyslogSink({ protocol: 'udp', host: LOOPBACK, port: syslog.udpPort }), down: null, seen: () => syslog.udp.length },
    { name: 'syslog-tcp', up: () => createSyslogSink({ protocol: 'tcp', host: LOOPBACK, port: syslog.tcpPort }), down: (p) => createSyslogSink({ protocol: 'tcp', host: LOOPBACK, port: p }), seen: () => syslog.tcp.length },
    {
      name: 'email',
      up: () => createEmailSink({ host: LOOPBACK, port: smtpPort, from: 'a@example.test', to: ['b@example.test'], requireTls: false }),
      down: (p) => createEmailSink({ host: LOOPBACK, port: p, user: 'u', password: secret, requireTls: false, from: 'a@example.test', to: ['b@example.test'], timeoutMs: 2000 }),
      seen: () => mails,
    },
  ];

  for (const c of cases) {
    describe(c.name, () => {
      it('delivers every kind it declares', async () => {
        const sink = c.up();
        const kinds = sink.kinds ?? NOTIFICATION_KINDS;
        const before = c.seen();
        for (const n of ALL.filter((x) => kinds.includes(x.kind))) await sink.send(n);
        const expected = kinds.length;
        for (let i = 0; i < 100 && c.seen() - before < expected; i++) await new Promise((r) => setTimeout(r, 10)); // UDP arrives a little later
        assert.equal(c.seen() - before, expected);
        await sink.close?.();
      });

      const down = c.down;
      if (down) it('reports a down receiver as a retryable SinkError without secrets', async () => {
        const sink = down(await freePort());
        let promise: Promise<void> | undefined;
        assert.doesNotThrow(() => (promise = sink.send(ALL[0]!)));
        const err = await promise!.then(() => null, (e: unknown) => e);
        assert.ok(err instanceof SinkError, String(err));
        assert.equal(err.isRetryable, true);
        for (const s of sink.redact ?? []) assert.ok(!err.message.includes(s), `${err.message} contains a redacted string`);
        assert.ok(!err.message.includes(secret));
        await sink.close?.();
      });
    });
  }
});
