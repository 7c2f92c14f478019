import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect } from 'node:net';
import { createSyslogSink } from './sink-syslog.ts';
import { SinkError } from './sink-error.ts';
import {
  eventually, findBinary, freePort, LOOPBACK, parseRfc5424, sampleDigest, sampleNotification, startProcess, startSyslogReceiver,
  type Started, type SyslogReceiver,
} from './test-helpers.ts';
import { APIWARDEN_VERSION } from './version.ts';

describe('syslog sink against a Node receiver', () => {
  let receiver: SyslogReceiver;
  before(async () => {
    receiver = await startSyslogReceiver();
  });
  after(() => receiver.close());

  it('sends one RFC 5424 message with a CEF payload per UDP datagram', async () => {
    const sink = createSyslogSink({ protocol: 'udp', host: LOOPBACK, port: receiver.udpPort, hostname: 'gateway-1', facility: 'local4' });
    await sink.send(sampleNotification('firing'));
    await sink.send(sampleNotification('resolved'));
    const [firing, resolved] = await eventually(() => receiver.udp.length >= 2 && receiver.udp.map(parseRfc5424), 'two datagrams');
    assert.equal(firing!.pri, 20 * 8 + 3, 'local4.err for a high alert');
    assert.equal(firing!.version, '1');
    assert.equal(firing!.timestamp, '2023-11-14T22:14:20.000Z');
    assert.equal(firing!.hostname, 'gateway-1');
    assert.equal(firing!.appName, 'apiwarden');
    assert.equal(firing!.procId, String(process.pid));
    assert.equal(firing!.msgId, 'alert-firing');
    assert.equal(firing!.structuredData, '-');
    assert.ok(firing!.msg.startsWith(`CEF:0|apiwarden|apiwarden|${APIWARDEN_VERSION}|distributed-enumeration|distributed enumeration on GET /v2/phones/{phone}/status: 412 addresses, 95 % misses|8|rt=`));
    assert.equal(resolved!.pri, 20 * 8 + 5, 'a resolution is a notice');
    assert.equal(resolved!.msgId, 'alert-resolved');
    await sink.close?.();
  });

  it('keeps a datagram within maxMessageBytes', async () => {
    receiver.udp.length = 0;
    const sink = createSyslogSink({ protocol: 'udp', host: LOOPBACK, port: receiver.udpPort, maxMessageBytes: 480 });
    await sink.send(sampleNotification('firing', { summary: 'é'.repeat(1000) }));
    const [m] = await eventually(() => receiver.udp.length >= 1 && receiver.udp, 'one datagram');
    assert.ok(Buffer.byteLength(m!) <= 480, `${Buffer.byteLength(m!)} bytes`);
    assert.match(parseRfc5424(m!).msg, /^CEF:0\|/);
    await sink.close?.();
  });

  it('frames TCP messages by octet counting on one connection, and reconnects after the receiver drops it', async () => {
    const sink = createSyslogSink({ protocol: 'tcp', host: LOOPBACK, port: receiver.tcpPort });
    const all = [sampleNotification('firing'), sampleNotification('acknowledged', { summary: 'multi-byte: é 漢字 and a newline\nhere' }), sampleDigest()];
    for (const n of all) await sink.send(n);
    const messages = await eventually(() => receiver.tcp.length >= 3 && receiver.tcp.map(parseRfc5424), 'three frames');
    assert.deepEqual(messages.map((m) => m.msgId), ['alert-firing', 'alert-acknowledged', 'alert-digest']);
    assert.match(messages[1]!.msg, /acknowledged: multi-byte: é 漢字 and a newline here/);
    // the raw stream is exactly the frames: "<octets> <message>" back to back, nothing else
    const raw = receiver.tcpBytes();
    const expected = Buffer.concat(receiver.tcp.map((m) => Buffer.concat([Buffer.from(`${Buffer.byteLength(m)} `), Buffer.from(m)])));
    assert.ok(raw.equals(expected));

    await receiver.close();
    receiver = await startSyslogReceiver(); // new ports: the old connection is gone
    const moved = createSyslogSink({ protocol: 'tcp', host: LOOPBACK, port: receiver.tcpPort });
    await moved.send(sampleNotification('repeat'));
    await eventually(() => receiver.tcp.length === 1, 'frame after restart');
    await sink.close?.();
    await moved.close?.();
  });

  it('reports an unreachable TCP receiver as retryable', async () => {
    const sink = createSyslogSink({ protocol: 'tcp', host: LOOPBACK, port: await freePort(), timeoutMs: 2000 });
    const err = await sink.send(sampleNotification()).then(() => null, (e: unknown) => e);
    assert.ok(err instanceof SinkError);
    assert.equal(err.isRetryable, true);
    assert.match(err.message, /^syslog tcp:\/\/127\.0\.0\.1:\d+: connection failed: connect ECONNREFUSED/);
    await sink.close?.();
  });

  it('reopens the TCP connection when the receiver closed it between notifications', async () => {
    // a receiver that accepts, reads one frame, then hangs up
    const { createServer } = await import('node:net');
    const frames: string[] = [];
    const server = createServer((s) => {
      s.once('data', (d: Buffer) => {
        frames.push(d.toString());
        s.destroy();
      });
      s.on('error', () => {});
    });
    await new Promise<void>((r) => server.listen(0, LOOPBACK, r));
    const port = (server.address() as { port: number }).port;
    const sink = createSyslogSink({ protocol: 'tcp', host: LOOPBACK, port });
    try {
      await sink.send(sampleNotification('firing'));
      await eventually(() => frames.length === 1, 'first frame');
      // wait until our side saw the close, so the next send must reconnect
      await eventually(async () => {
        const probe = connect(port, LOOPBACK);
        await new Promise((r) => probe.once('connect', r));
        probe.destroy();
        return true;
      }, 'server still accepting');
      let delivered = false;
      for (let i = 0; i < 20 && !delivered; i++) {
        // a write into a connection the peer has just closed can still "succeed" locally (RFC 6587 has no
        // acknowledgement); what matters is that the sink recovers and a later send arrives
        await sink.send(sampleNotification('repeat')).catch(() => {});
        delivered = await eventually(() => frames.length >= 2, 'second frame', 4, 25).then(() => true, () => false);
      }
      assert.ok(delivered);
    } finally {
      await sink.close?.();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

const rsyslogd = findBinary('rsyslogd');

describe('syslog sink against rsyslog', { skip: rsyslogd ? false : 'rsyslogd is not installed (apt-get install -y rsyslog)' }, () => {
  let dir: string;
  let rsyslog: Started;
  let udpPort: number;
  let tcpPort: number;
  const out = () => {
    try {
      return readFileSync(join(dir, 'received.log'), 'utf8');
    } catch {
      return '';
    }
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'apiwarden-rsyslog-'));
    udpPort = await freePort();
    tcpPort = await freePort();
    // rsyslog parses RFC 5424 itself; the template writes back the fields it found, '|'-separated
    writeFileSync(join(dir, 'rsyslog.conf'), [
      `global(workDirectory="${dir}")`,
      'module(load="imudp")',
      'module(load="imtcp")',
      `input(type="imudp" address="${LOOPBACK}" port="${udpPort}")`,
      `input(type="imtcp" address="${LOOPBACK}" port="${tcpPort}")`,
      'template(name="fields" type="string" string="%pri%|%protocol-version%|%hostname%|%app-name%|%procid%|%msgid%|%msg%\\n")',
      `*.* action(type="omfile" file="${join(dir, 'received.log')}" template="fields")`,
      '',
    ].join('\n'));
    rsyslog = startProcess(rsyslogd!, ['-n', '-f', join(dir, 'rsyslog.conf'), '-i', join(dir, 'rsyslogd.pid')]);
    // ready when the TCP input accepts connections
    await eventually(async () => {
      if (rsyslog.child.exitCode !== null) throw new Error(`rsyslogd exited:\n${rsyslog.output()}`);
      return new Promise<boolean>((resolve) => {
        const s = connect(tcpPort, LOOPBACK);
        s.once('connect', () => {
          s.destroy();
          resolve(true);
        });
        s.once('error', () => resolve(false));
      });
    }, 'rsyslogd listening', 200, 50);
  });

  after(async () => {
    await rsyslog?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('rsyslog parses our TCP octet-counted frames as RFC 5424', async () => {
    const sink = createSyslogSink({ protocol: 'tcp', host: LOOPBACK, port: tcpPort, hostname: 'gw-tcp' });
    await sink.send(sampleNotification('firing'));
    await sink.send(sampleNotification('resolved'));
    const lines = await eventually(() => {
      const l = out().split('\n').filter((x) => x.includes('|gw-tcp|'));
      return l.length >= 2 && l;
    }, 'rsyslog wrote both TCP messages');
    const [pri, version, host, app, procId, msgId, ...msg] = lines[0]!.split('|');
    assert.deepEqual([pri, version, host, app, procId, msgId], ['131', '1', 'gw-tcp', 'apiwarden', String(process.pid), 'alert-firing']);
    assert.equal(msg.slice(0, 3).join('|'), 'CEF:0|apiwarden|apiwarden');
    assert.match(lines[1]!, /\|alert-resolved\|CEF:0\|/);
    await sink.close?.();
  });

  it('rsyslog parses our UDP datagrams as RFC 5424', async () => {
    const sink = createSyslogSink({ protocol: 'udp', host: LOOPBACK, port: udpPort, hostname: 'gw-udp' });
    // UDP has no handshake to tell when imudp is listening: send until one arrives (bounded)
    const line = await eventually(async () => {
      await sink.send(sampleNotification('firing'));
      return out().split('\n').find((x) => x.includes('|gw-udp|'));
    }, 'rsyslog wrote a UDP message', 40, 50);
    assert.match(line, /^131\|1\|gw-udp\|apiwarden\|\d+\|alert-firing\|CEF:0\|apiwarden\|apiwarden\|/);
    await sink.close?.();
  });
});
