/**
 * An open-loop HTTP/1.1 load generator: requests are issued on a fixed
 * schedule (rate per second), whatever the answers do, over N keep-alive
 * connections; latency is recorded with perf_hooks histograms.
 *
 *   node bench/proxy/openloop.ts --url http://127.0.0.1:18084 --rate 2000 --duration 15 --warmup 3
 *
 * Why not autocannon or hey: both are closed loops with a rate cap (a
 * connection waits for its answer before the next request), so a slow
 * answer delays the requests behind it and hides itself (coordinated
 * omission); wrk2 and bombardier are not in Debian (Debian's `bombardier`
 * package is a game).
 *
 * How: a timer fires every millisecond (Node's timer granularity; a busy
 * loop would take a core from the system under test on a 2-core machine)
 * and sends every request whose slot has come, each on a free connection;
 * when all N are busy the request waits in a queue (counted in `queued`).
 * Two latencies are recorded per request:
 * - `service`: from the write of the request to the last byte of the answer;
 * - `fromSchedule`: from its slot in the schedule to the last byte, which
 *   also counts queueing and this process's own timer lag (what wrk2 reports).
 * Raw sockets and a minimal response parser (Content-Length or chunked)
 * keep the generator's own cost per request small and constant.
 * Everything stops by itself: after warm-up + duration + 2 s of drain, and
 * a hard deadline beyond that.
 */

import net from 'node:net';
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { formatRequest, requestMix } from './mix.ts';

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: 'http://127.0.0.1:18080' },
    rate: { type: 'string', default: '2000' },
    duration: { type: 'string', default: '15' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '16' },
  },
});

const url = new URL(values.url);
if (url.protocol !== 'http:' || !['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) {
  throw new Error(`openloop: only http:// loopback targets are allowed, got ${values.url}`);
}
const rate = Number(values.rate);
const durationMs = Number(values.duration) * 1000;
const warmupMs = Number(values.warmup) * 1000;
const connections = Number(values.connections);
const port = Number(url.port || 80);
const host = url.hostname === 'localhost' ? '127.0.0.1' : url.hostname.replace(/^\[|\]$/g, '');

const requests = requestMix().map((r) => formatRequest(r, url.host));
const intervalNs = 1e9 / rate;

const service = newHistogram();
const fromSchedule = newHistogram();
const lag = newHistogram();
const statuses: Record<string, number> = {};
let sent = 0;
let completed = 0;
let recorded = 0;
let queuedCount = 0;
let socketErrors = 0;
let reconnects = 0;

function newHistogram(): RecordableHistogram {
  // nanoseconds, 1 ns .. 60 s, 3 significant figures
  return createHistogram({ lowest: 1, highest: 60e9, figures: 3 });
}

const now = (): number => Number(process.hrtime.bigint());

interface Pending {
  index: number;
  /** slot in the schedule (ns) */
  intended: number;
}

interface Conn {
  socket: net.Socket;
  busy: boolean;
  current: Pending | null;
  sentAt: number;
  buf: Buffer;
  /** -1 until the head is parsed */
  bodyStart: number;
  contentLength: number;
  chunked: boolean;
  status: number;
}

const free: Conn[] = [];
const queue: Pending[] = [];
const all: Conn[] = [];
// set once the connections are open
let t0 = 0;
let measureFrom = 0;
let end = 0;
let stopping = false;

function open(): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, noDelay: true });
    const conn: Conn = { socket, busy: false, current: null, sentAt: 0, buf: Buffer.alloc(0), bodyStart: -1, contentLength: -1, chunked: false, status: 0 };
    socket.once('connect', () => resolve(conn));
    socket.once('error', (error) => {
      socketErrors++;
      reject(error);
    });
    socket.on('data', (chunk: Buffer) => onData(conn, chunk));
    socket.on('close', () => onClose(conn));
  });
}

function onClose(conn: Conn): void {
  const i = free.indexOf(conn);
  if (i >= 0) free.splice(i, 1);
  const j = all.indexOf(conn);
  if (j >= 0) all.splice(j, 1);
  if (conn.current) {
    socketErrors++;
    conn.current = null;
  }
  if (stopping) return;
  // the server closed a keep-alive connection (e.g. after N requests): open another
  reconnects++;
  if (reconnects > 10_000) return;
  open().then(
    (c) => {
      all.push(c);
      release(c);
    },
    () => {},
  );
}

function send(conn: Conn, p: Pending): void {
  conn.busy = true;
  conn.current = p;
  conn.buf = Buffer.alloc(0);
  conn.bodyStart = -1;
  conn.sentAt = now();
  if (p.intended >= measureFrom) lag.record(Math.max(1, conn.sentAt - p.intended));
  sent++;
  conn.socket.write(requests[p.index % requests.length]!);
}

function release(conn: Conn): void {
  conn.busy = false;
  conn.current = null;
  const next = queue.shift();
  if (next) send(conn, next);
  else free.push(conn);
}

function dispatch(p: Pending): void {
  const conn = free.pop();
  if (conn) send(conn, p);
  else {
    queuedCount++;
    queue.push(p);
  }
}

const CRLFCRLF = Buffer.from('\r\n\r\n');

function onData(conn: Conn, chunk: Buffer): void {
  conn.buf = conn.buf.length === 0 ? chunk : Buffer.concat([conn.buf, chunk]);
  if (conn.bodyStart < 0) {
    const headEnd = conn.buf.indexOf(CRLFCRLF);
    if (headEnd < 0) return;
    const head = conn.buf.toString('latin1', 0, headEnd).toLowerCase();
    conn.status = Number(head.slice(9, 12));
    const cl = /\r\ncontent-length:\s*(\d+)/.exec(head);
    conn.contentLength = cl ? Number(cl[1]) : -1;
    conn.chunked = conn.contentLength < 0 && /\r\ntransfer-encoding:[^\r]*chunked/.test(head);
    conn.bodyStart = headEnd + 4;
  }
  if (!isComplete(conn)) return;
  const done = now();
  const p = conn.current!;
  completed++;
  if (p.intended >= measureFrom && p.intended < end) {
    recorded++;
    service.record(Math.max(1, done - conn.sentAt));
    fromSchedule.record(Math.max(1, done - p.intended));
    statuses[conn.status] = (statuses[conn.status] ?? 0) + 1;
  }
  release(conn);
}

function isComplete(conn: Conn): boolean {
  const body = conn.buf.length - conn.bodyStart;
  if (conn.contentLength >= 0) return body >= conn.contentLength;
  if (!conn.chunked) return true; // no body (204/304) in this benchmark
  // chunked: walk the chunk sizes until the last (0) chunk and the final CRLF
  let at = conn.bodyStart;
  for (;;) {
    const lineEnd = conn.buf.indexOf('\r\n', at, 'latin1');
    if (lineEnd < 0) return false;
    const size = Number.parseInt(conn.buf.toString('latin1', at, lineEnd), 16);
    // the last chunk, optional trailers, and the empty line
    if (size === 0) return conn.buf.indexOf(CRLFCRLF, lineEnd) >= 0;
    at = lineEnd + 2 + size + 2;
    if (at > conn.buf.length) return false;
  }
}

let nextSlot = 0;
let slotIndex = 0;

function tick(): void {
  const t = now();
  while (nextSlot <= t && nextSlot < end) {
    dispatch({ index: slotIndex++, intended: nextSlot });
    nextSlot = t0 + slotIndex * intervalNs;
  }
  if (nextSlot < end) setTimeout(tick, Math.max(0, Math.floor((nextSlot - now()) / 1e6)));
  else void finish();
}

async function finish(): Promise<void> {
  const drainUntil = now() + 2e9;
  while ((queue.length > 0 || all.some((c) => c.busy)) && now() < drainUntil) {
    await new Promise((r) => setTimeout(r, 10));
  }
  stopping = true;
  const inFlight = queue.length + all.filter((c) => c.busy).length;
  for (const c of all) c.socket.destroy();
  const us = (h: RecordableHistogram, p: number): number => Math.round(h.percentile(p) / 100) / 10;
  const summary = (h: RecordableHistogram) => ({
    mean: Math.round(h.mean / 100) / 10,
    p50: us(h, 50),
    p90: us(h, 90),
    p99: us(h, 99),
    p999: us(h, 99.9),
    max: Math.round(h.max / 100) / 10,
  });
  const result = {
    url: values.url,
    rate,
    durationS: durationMs / 1000,
    warmupS: warmupMs / 1000,
    connections,
    sent,
    completed,
    recorded,
    achievedRate: Math.round(recorded / (durationMs / 1000)),
    statuses,
    queued: queuedCount,
    socketErrors,
    reconnects,
    unfinished: inFlight,
    latencyUs: { service: summary(service), fromSchedule: summary(fromSchedule), sendLag: summary(lag) },
  };
  process.stdout.write(`OPENLOOP_RESULT ${JSON.stringify(result)}\n`);
  process.exit(0);
}

// a hard deadline, whatever happens
setTimeout(() => {
  process.stderr.write('openloop: hard deadline reached\n');
  process.exit(2);
}, warmupMs + durationMs + 15_000).unref();

for (let i = 0; i < connections; i++) {
  const c = await open();
  all.push(c);
  free.push(c);
}
t0 = now();
measureFrom = t0 + warmupMs * 1e6;
end = measureFrom + durationMs * 1e6;
nextSlot = t0;
tick();
