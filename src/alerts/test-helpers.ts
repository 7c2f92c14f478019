/** Shared by the alerts tests: loopback receivers, a collecting logger, sample signals. Never built into dist. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { accessSync, constants } from 'node:fs';
import { createServer as createHttpServer, type IncomingHttpHeaders } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import type { AlertLogger, AlertSignal, DigestNotification, Notification, Severity, Sink } from './types.ts';

export const LOOPBACK = '127.0.0.1';

/** A free TCP port on 127.0.0.1 (closed again before returning; fine for tests). */
export async function freePort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Polls `fn` until it returns a truthy value; at most `polls` times, `everyMs` apart. Fails with `what`. */
export async function eventually<T>(fn: () => T | undefined | null | false | Promise<T | undefined | null | false>, what: string, polls = 200, everyMs = 25): Promise<T> {
  for (let i = 0; i < polls; i++) {
    const value = await fn();
    if (value) return value;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`not reached: ${what}`);
}

export interface CollectedLog {
  level: 'warn' | 'error';
  detail: Record<string, unknown>;
  message: string;
}

/** A logger that keeps every entry, and every entry as one JSON line (to search for secrets). */
export function collectingLogger(): { logger: AlertLogger; entries: CollectedLog[]; text(): string } {
  const entries: CollectedLog[] = [];
  return {
    logger: {
      warn: (detail, message) => entries.push({ level: 'warn', detail, message }),
      error: (detail, message) => entries.push({ level: 'error', detail, message }),
    },
    entries,
    text: () => entries.map((e) => JSON.stringify(e)).join('\n'),
  };
}

export function sampleSignal(overrides: Partial<AlertSignal> = {}): AlertSignal {
  return {
    rule: 'distributed-enumeration',
    severity: 'high' as Severity,
    labels: { rule: 'distributed-enumeration', operation: 'GET /v2/phones/{phone}/status', identityKind: 'subnet' },
    summary: 'distributed enumeration on GET /v2/phones/{phone}/status: 412 addresses, 95 % misses',
    evidence: {
      topIdentities: [{ kind: 'subnet', value: '203.0.113.0/24', count: 1520 }, { kind: 'ip', value: '198.51.100.x', count: 312 }],
      counts: { requests: 5120, addresses: 412, misses: 4864 },
      exampleRequests: [{ time: 1_700_000_000_000, method: 'GET', target: '/v2/phones/+3361234****/status', status: 404, clientIp: '203.0.113.x' }],
    },
    time: 1_700_000_000_000,
    ...overrides,
  };
}

/** A sink that keeps what it is sent. */
export function memorySink(name = 'memory'): Sink & { received: Notification[] } {
  const received: Notification[] = [];
  return { name, received, send: async (n) => void received.push(n) };
}

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface HttpReceiver {
  url: string;
  requests: ReceivedRequest[];
  /** what the next requests are answered with (default 200, '{}') */
  answer: { status: number; body: string; headers?: Record<string, string>; hang?: boolean };
  close(): Promise<void>;
}

/** A node:http server on 127.0.0.1 and a free port that records every request. */
export async function startHttpReceiver(): Promise<HttpReceiver> {
  const requests: ReceivedRequest[] = [];
  const receiver = { answer: { status: 200, body: '{}' } as HttpReceiver['answer'] };
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const a = receiver.answer;
      if (a.hang) return; // never answers: the client's timeout must end it
      res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers });
      res.end(a.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(receiver, {
    url: `http://${LOOPBACK}:${port}`,
    requests,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}

export interface ParsedSyslog {
  pri: number;
  version: string;
  timestamp: string;
  hostname: string;
  appName: string;
  procId: string;
  msgId: string;
  structuredData: string;
  msg: string;
}

/** RFC 5424 §6 as a receiver reads it (NILVALUE structured data, or one bracketed element without ']' inside values). */
export function parseRfc5424(text: string): ParsedSyslog {
  const m = /^<(\d{1,3})>(\d) (\S+) (\S+) (\S+) (\S+) (\S+) (-|\[[^\]]*\]) ?([\s\S]*)$/.exec(text);
  if (!m) throw new Error(`not an RFC 5424 message: ${JSON.stringify(text.slice(0, 120))}`);
  return {
    pri: Number(m[1]), version: m[2]!, timestamp: m[3]!, hostname: m[4]!, appName: m[5]!, procId: m[6]!, msgId: m[7]!,
    structuredData: m[8]!, msg: m[9]!,
  };
}

/**
 * RFC 6587 §3.4.1 octet-counting frames from a byte stream: "MSG-LEN SP MSG".
 * Returns the complete messages and what is left for the next chunk.
 */
export function takeOctetCountedFrames(buffer: Buffer): { messages: string[]; rest: Buffer } {
  const messages: string[] = [];
  let at = 0;
  for (;;) {
    const space = buffer.indexOf(0x20, at);
    if (space === -1) break;
    const lengthText = buffer.subarray(at, space).toString('ascii');
    if (!/^[1-9]\d{0,8}$/.test(lengthText)) throw new Error(`bad octet count ${JSON.stringify(lengthText)}`);
    const end = space + 1 + Number(lengthText);
    if (end > buffer.length) break;
    messages.push(buffer.subarray(space + 1, end).toString('utf8'));
    at = end;
  }
  return { messages, rest: buffer.subarray(at) };
}

export interface SyslogReceiver {
  udpPort: number;
  tcpPort: number;
  udp: string[];
  tcp: string[];
  /** raw TCP bytes, to check the framing itself */
  tcpBytes(): Buffer;
  close(): Promise<void>;
}

/** A small UDP + TCP syslog receiver on 127.0.0.1: datagrams as they come, TCP split by octet counting. */
export async function startSyslogReceiver(): Promise<SyslogReceiver> {
  const udp: string[] = [];
  const tcp: string[] = [];
  const raw: Buffer[] = [];
  const sockets = new Set<Socket>();
  const dgram = createSocket('udp4');
  dgram.on('message', (m) => udp.push(m.toString('utf8')));
  await new Promise<void>((resolve) => dgram.bind(0, LOOPBACK, resolve));
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    let pending: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      raw.push(chunk);
      const { messages, rest } = takeOctetCountedFrames(Buffer.concat([pending, chunk]));
      tcp.push(...messages);
      pending = rest;
    });
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  return {
    udpPort: dgram.address().port,
    tcpPort: (server.address() as AddressInfo).port,
    udp,
    tcp,
    tcpBytes: () => Buffer.concat(raw),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => dgram.close(() => resolve()));
    },
  };
}

/** A firing notification built by hand, for sink tests that do not need the lifecycle. */
export function sampleNotification(kind: 'firing' | 'repeat' | 'resolved' | 'acknowledged' = 'firing', overrides: Partial<AlertSignal> = {}): Notification {
  const s = sampleSignal(overrides);
  return {
    id: `00000000-0000-4000-8000-00000000000${['firing', 'repeat', 'resolved', 'acknowledged'].indexOf(kind)}`,
    kind,
    time: s.time + 60_000,
    validUntil: kind === 'resolved' ? null : s.time + 60_000 + 7_200_000,
    alert: {
      fingerprint: '0123456789abcdef',
      rule: s.rule,
      status: kind === 'resolved' ? 'resolved' : 'firing',
      severity: s.severity,
      summary: s.summary,
      groupLabels: { operation: s.labels.operation ?? '' },
      labels: s.labels,
      startsAt: s.time,
      lastSeenAt: s.time + 30_000,
      endsAt: kind === 'resolved' ? s.time + 60_000 : null,
      count: 7,
      acknowledgedAt: kind === 'acknowledged' ? s.time + 50_000 : null,
      acknowledgedBy: kind === 'acknowledged' ? 'alice' : null,
      resolvedBy: null,
      evidence: s.evidence,
    },
  };
}

export function sampleDigest(): DigestNotification {
  return {
    id: '00000000-0000-4000-8000-0000000000dd',
    kind: 'digest',
    time: 1_700_000_120_000,
    suppressed: 42,
    windowStart: 1_700_000_060_000,
    byRule: { 'distributed-enumeration': 40, 'credential-stuffing': 2 },
    severity: 'critical',
  };
}

/** The first of `names` found on PATH (or in /usr/sbin, /usr/bin), or null. */
export function findBinary(...names: string[]): string | null {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/bin', '/sbin'].filter(Boolean);
  for (const name of names) {
    for (const dir of dirs) {
      const candidate = `${dir}/${name}`;
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return null;
}

export interface Started {
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Starts a receiver process; stop() ends that process only (by its own handle), waiting for it to exit. */
export function startProcess(command: string, args: readonly string[]): Started {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  child.on('error', (err) => (output += `\n(spawn error: ${err.message})`));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
