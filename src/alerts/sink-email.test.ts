import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { createDelivery } from './delivery.ts';
import { SinkError } from './sink-error.ts';
import { createEmailSink, escapeHtml } from './sink-email.ts';
import { collectingLogger, LOOPBACK, sampleDigest, sampleNotification } from './test-helpers.ts';

const PASSWORD = 'smtp-p4ss-w0rd!';

interface Received {
  from: string;
  to: string[];
  raw: string;
  user: string | undefined;
}

/** Pulls one header (unfolded) and decodes RFC 2047 encoded-words the way a mail client would. */
function header(raw: string, name: string): string {
  const head = raw.split(/\r?\n\r?\n/)[0]!.replace(/\r?\n[ \t]+/g, ' ');
  const line = head.split(/\r?\n/).find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  if (!line) return '';
  return line.slice(name.length + 1).trim().replace(/=\?utf-8\?([QB])\?([^?]*)\?=\s*/gi, (_, enc: string, text: string) =>
    enc.toUpperCase() === 'B' ? Buffer.from(text, 'base64').toString('utf8') : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8'));
}

/** The decoded text of one MIME part (quoted-printable or base64), found by its content type. */
function part(raw: string, type: 'text/plain' | 'text/html'): string {
  const sections = raw.split(/\r?\n--[^\r\n]+/);
  const section = sections.find((s) => new RegExp(`content-type: ${type}`, 'i').test(s));
  assert.ok(section, `no ${type} part`);
  const [headers, ...body] = section.split(/\r?\n\r?\n/);
  const text = body.join('\n\n');
  if (/content-transfer-encoding: base64/i.test(headers!)) return Buffer.from(text.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (/content-transfer-encoding: quoted-printable/i.test(headers!)) {
    return Buffer.from(text.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8');
  }
  return text;
}

describe('e-mail sink against smtp-server', () => {
  let server: SMTPServer;
  let port: number;
  const received: Received[] = [];

  before(async () => {
    server = new SMTPServer({
      authOptional: true,
      allowInsecureAuth: true, // loopback test server without TLS
      disabledCommands: ['STARTTLS'],
      logger: false,
      onAuth(auth, _session, callback) {
        if (auth.username === 'alerts' && auth.password === PASSWORD) return callback(null, { user: 'alerts' });
        return callback(new Error('Invalid username or password'));
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks).toString('utf8'),
            user: session.user as string | undefined,
          });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
    port = (server.server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const sinkWith = (password = PASSWORD) =>
    createEmailSink({ host: LOOPBACK, port, user: 'alerts', password, requireTls: false, from: 'apiwarden <alerts@example.test>', to: ['soc@example.test', 'oncall@example.test'], link: 'https://warden.example.com/alerts/{fingerprint}', timeoutMs: 5000 });

  it('sends subject with severity and summary, text and HTML bodies with the evidence escaped', async () => {
    received.length = 0;
    const sink = sinkWith();
    const n = sampleNotification('firing', {
      summary: 'enumeration of /v2/phones/<script>alert(1)</script>',
      evidence: { topIdentities: [{ kind: 'ip', value: '203.0.113.x"><img src=x>', count: 9 }], counts: { requests: 10 }, exampleRequests: [{ time: 0, method: 'GET', target: '/v2/phones/<b>1</b>', status: 404, clientIp: '203.0.113.x' }] },
    });
    await sink.send(n);
    await sink.close?.();
    const mail = received[0]!;
    assert.equal(mail.user, 'alerts');
    assert.equal(mail.from, 'alerts@example.test');
    assert.deepEqual(mail.to, ['soc@example.test', 'oncall@example.test']);
    assert.equal(header(mail.raw, 'Subject'), '[apiwarden] [HIGH] FIRING: enumeration of /v2/phones/<script>alert(1)</script>');
    assert.equal(header(mail.raw, 'Message-ID'), '<0123456789abcdef.1700000000000@apiwarden>');
    assert.equal(header(mail.raw, 'X-Apiwarden-Fingerprint'), '0123456789abcdef');

    const text = part(mail.raw, 'text/plain');
    assert.match(text, /Top identities: ip 203\.0\.113\.x"><img src=x> \(9\)/);
    assert.match(text, /Details: https:\/\/warden\.example\.com\/alerts\/0123456789abcdef/);

    const html = part(mail.raw, 'text/html');
    assert.ok(!html.includes('<script>'), 'no markup from the summary');
    assert.ok(!html.includes('<img'), 'no markup from an identity');
    assert.ok(!html.includes('<b>1</b>'), 'no markup from a target');
    assert.ok(html.includes('&#60;script&#62;alert(1)&#60;/script&#62;'));
    assert.ok(html.includes('<a href="https://warden.example.com/alerts/0123456789abcdef">'));
    assert.ok(!mail.raw.includes(PASSWORD));
  });

  it('threads later messages of the alert under the first one', async () => {
    received.length = 0;
    const sink = sinkWith();
    await sink.send(sampleNotification('resolved'));
    await sink.send(sampleDigest());
    await sink.close?.();
    assert.equal(header(received[0]!.raw, 'In-Reply-To'), '<0123456789abcdef.1700000000000@apiwarden>');
    assert.match(header(received[0]!.raw, 'Subject'), /^\[apiwarden\] \[HIGH\] RESOLVED: /);
    assert.equal(header(received[1]!.raw, 'Subject'), '[apiwarden] [CRITICAL] 42 more alert notifications suppressed (storm throttle)');
  });

  it('refuses a wrong password without retrying and without the password in any error or log', async () => {
    const wrong = 'not-the-' + PASSWORD;
    const sink = sinkWith(wrong);
    const err = await sink.send(sampleNotification()).then(() => null, (e: unknown) => e);
    assert.ok(err instanceof SinkError);
    assert.equal(err.code, 'ALERT_SINK_REJECTED');
    assert.ok(!err.message.includes(wrong) && !err.message.includes(PASSWORD), err.message);
    const log = collectingLogger();
    const d = createDelivery(sink, { logger: log.logger, baseDelayMs: 1, maxDelayMs: 1 });
    d.enqueue(sampleNotification());
    await d.drain();
    await d.close();
    assert.equal(d.stats().failed, 1);
    assert.equal(d.stats().retried, 0);
    assert.ok(!log.text().includes(wrong));
    assert.match(log.text(), /smtp 127\.0\.0\.1:\d+: Invalid login/);
  });

  it('escapes HTML', () => {
    assert.equal(escapeHtml(`<a href="x" onclick='y'>&</a>`), '&#60;a href=&#34;x&#34; onclick=&#39;y&#39;&#62;&#38;&#60;/a&#62;');
  });
});
