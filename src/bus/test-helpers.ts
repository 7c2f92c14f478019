/**
 * What the bus tests share: finding the shared NATS server (or skipping with
 * a reason), running a private nats-server that a test can stop and restart
 * on the same port and store dir (fault tests must not disturb the shared
 * one), events to send, and bounded waits (every test stops by itself).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { GatewayEvent } from '../events/types.ts';
import { makeTestEvent } from '../store/conformance.ts';

export const NATS_SERVER_BIN = process.env.APIWARDEN_TEST_NATS_SERVER ?? '/usr/sbin/nats-server';

/** The shared server the functional tests use: APIWARDEN_TEST_NATS_URL, else 127.0.0.1:4222. */
export const SHARED_NATS_URL = process.env.APIWARDEN_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

/** Resolves true when something accepts TCP connections at the URL's host:port within timeoutMs. */
export function answers(url: string, timeoutMs = 1000): Promise<boolean> {
  const { hostname, port } = new URL(url.includes('://') ? url : `nats://${url}`);
  return new Promise((resolve) => {
    const socket = createConnection({ host: hostname, port: Number(port || 4222) });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** A reason to skip (for node:test's `skip` option), or false when the shared server answers. */
export async function sharedNatsSkipReason(): Promise<string | false> {
  return (await answers(SHARED_NATS_URL))
    ? false
    : `no NATS server answers at ${SHARED_NATS_URL} (start one with JetStream, or set APIWARDEN_TEST_NATS_URL)`;
}

export function privateNatsSkipReason(): string | false {
  return existsSync(NATS_SERVER_BIN) ? false : `${NATS_SERVER_BIN} not found (set APIWARDEN_TEST_NATS_SERVER)`;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A nats-server of the test's own, on a free port, with its own JetStream store dir. */
export interface PrivateNats {
  url: string;
  port: number;
  storeDir: string;
  /** SIGTERM, and wait for the process to exit (SIGKILL after 5 s) */
  stop(): Promise<void>;
  /** start again on the same port and store dir; resolves when it answers */
  start(): Promise<void>;
  /** stop and remove the store dir */
  dispose(): Promise<void>;
  /** the running server's pid, or null when stopped */
  pid(): number | null;
}

export async function startPrivateNats(): Promise<PrivateNats> {
  const port = await freePort();
  const storeDir = mkdtempSync(join(tmpdir(), 'apiwarden-nats-'));
  const url = `nats://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();

  async function start(): Promise<void> {
    if (child) return;
    const proc = spawn(NATS_SERVER_BIN, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    proc.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    child = proc;
    exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    void exited.then(() => {
      if (child === proc) child = null;
    });
    // the port can be briefly busy right after a stop; the server retries binding itself not at all, so poll
    for (let i = 0; i < 100; i++) {
      if (await answers(url, 200)) {
        await sleep(50); // JetStream comes up just after the listener
        return;
      }
      if (!child) throw new Error(`nats-server exited on start: ${stderr}`);
      await sleep(50);
    }
    throw new Error(`nats-server did not answer on ${url} within 5 s: ${stderr}`);
  }

  async function stop(): Promise<void> {
    const proc = child;
    if (!proc) return;
    proc.kill('SIGTERM');
    const killer = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(killer);
    child = null;
  }

  await start();
  return {
    url,
    port,
    storeDir,
    start,
    stop,
    async dispose() {
      await stop();
      rmSync(storeDir, { recursive: true, force: true });
    },
    pid: () => child?.pid ?? null,
  };
}

/** A unique suffix for stream, subject and durable names, so runs never see each other's data. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 12)}`.toUpperCase();
}

/** A complete, valid event; `rawPath` carries the sender and index so a test can check order. */
export function testEvent(id: string, time = Date.now(), rawPath = '/users/42'): GatewayEvent {
  return makeTestEvent({ id, time, rawPath, path: rawPath, userAgent: 'apiwarden-bus-test/1.0' });
}

/** Polls `condition` every `everyMs` until true; throws with `what` after `timeoutMs`. */
export async function waitFor(what: string, condition: () => boolean, timeoutMs = 10_000, everyMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Deletes a test's stream from a server (best effort: the server may be gone). */
export async function deleteStream(url: string, stream: string): Promise<void> {
  const { connect } = await import('@nats-io/transport-node');
  const { jetstreamManager } = await import('@nats-io/jetstream');
  try {
    const nc = await connect({ servers: [url], timeout: 2000, maxReconnectAttempts: 0 });
    try {
      await (await jetstreamManager(nc)).streams.delete(stream);
    } finally {
      await nc.close();
    }
  } catch {
    // nothing to clean
  }
}

/** Publishes `count` events in slices, yielding between slices like a gateway between requests. */
export async function publishSome(
  publish: (event: GatewayEvent) => void,
  ids: string[],
  prefix: string,
  count: number,
  slice = 200,
): Promise<{ maxSliceMs: number }> {
  let maxSliceMs = 0;
  for (let done = 0; done < count; ) {
    const n = Math.min(slice, count - done);
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const id = `${prefix}-${ids.length}`;
      ids.push(id);
      publish(testEvent(id, Date.now(), `/${prefix}/${ids.length - 1}`));
    }
    maxSliceMs = Math.max(maxSliceMs, performance.now() - t0);
    done += n;
    await new Promise((resolve) => setImmediate(resolve));
  }
  return { maxSliceMs };
}

/** A consumer's handle that records every delivery, to count them by id and check the order. */
export function collector(): {
  handle: (events: GatewayEvent[]) => Promise<void>;
  deliveries: Map<string, number>;
  order: string[];
  duplicates: () => string[];
} {
  const deliveries = new Map<string, number>();
  const order: string[] = [];
  return {
    deliveries,
    order,
    async handle(events) {
      for (const e of events) {
        deliveries.set(e.id, (deliveries.get(e.id) ?? 0) + 1);
        order.push(e.id);
      }
    },
    duplicates: () => [...deliveries].filter(([, n]) => n > 1).map(([id]) => id),
  };
}

/** The ids of one sender (prefix) in the order they were received; strictly increasing when in order. */
export function indexesOf(order: readonly string[], prefix: string): number[] {
  return order.filter((id) => id.startsWith(`${prefix}-`)).map((id) => Number(id.slice(prefix.length + 1)));
}

/** The bus log for tests: silent unless APIWARDEN_TEST_BUS_LOG is set (then to stderr, with the time). */
export function testLog(who: string): ((level: string, message: string, detail?: Record<string, unknown>) => void) | undefined {
  if (!process.env.APIWARDEN_TEST_BUS_LOG) return undefined;
  const t0 = Date.now();
  return (level, message, detail) => process.stderr.write(`${String(Date.now() - t0).padStart(6)} ${who} ${level} ${message} ${detail ? JSON.stringify(detail) : ''}\n`);
}
