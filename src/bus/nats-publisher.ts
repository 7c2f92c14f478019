/**
 * The gateway's side of scale-out: every GatewayEvent goes to a JetStream
 * stream, where analysers (nats-consumer.ts) read it as one consumer group.
 *
 * Why it is built this way:
 *
 * - `publish()` is on the request path, so it only serialises the event and
 *   appends it to an in-memory queue: it never waits, never does I/O and
 *   never throws. A background pump cuts batches (up to `batchMaxEvents`
 *   events or `batchMaxDelayMs`, one message ≤ 1 MiB and ≤ the server's
 *   max_payload) and publishes them with JetStream acknowledgements, a few
 *   messages in flight at once.
 * - Each message carries `Nats-Msg-Id` = a hash of its bytes (batch.ts), so a
 *   publish retried after a lost ack, or drained from the spool twice, is
 *   stored once within the stream's 2-minute duplicate window. Events also
 *   carry their own `id` for analysers to de-duplicate beyond that window.
 * - When NATS is unreachable (refused, stopped, ack timeout) the gateway
 *   keeps serving and batches go to the disk spool (spool.ts). Messages in
 *   flight when the connection drops are spooled at once rather than after
 *   their ack timeout. While the spool holds anything, new batches are
 *   appended behind it, and the spool is drained oldest first, each segment
 *   deleted only after all its messages are acknowledged: events reach the
 *   stream in the order they were published (one exception: when a publish
 *   fails while a later message in flight succeeds, the failed one is stored
 *   after it, from the spool). A new publisher on a non-empty
 *   spool dir (a restarted gateway) drains it the same way. The connection
 *   is retried forever (connection.ts).
 *
 * The spool's bound, fsync policy and what happens past it:
 *
 * - Bound: `spoolMaxBytes` (default 256 MiB) of segment files in `spoolDir`.
 *   Past it the OLDEST segments are deleted first and their events counted
 *   in `stats().dropped`; the newest events are kept. Segments are 1/8 of the
 *   bound (4 KiB … 8 MiB), so a drop costs about an eighth of the spool.
 * - fsync: fdatasync at most 1 s after a write (`spoolSyncIntervalMs`), when
 *   a segment is sealed, on `flush()` and on `close()`; the directory (new
 *   segment names) at the same times. A process crash loses nothing written; a power loss up to ~1 s
 *   of spooled events.
 * - Memory: at most `maxPendingEvents` (10,000) events wait in memory for a
 *   batch; beyond that the oldest are cut into a batch and spooled even while
 *   connected (JetStream slower than the gateway). Batches waiting for the
 *   disk are capped at 32 MiB (oldest dropped, counted). Messages in flight
 *   are capped at `maxInFlight` (8). Nothing else grows with an outage.
 * - Events published after `close()` started, events that cannot be
 *   serialised, and single events larger than a message are dropped and
 *   counted.
 *
 * Delivery is at-least-once: a message can be stored twice if its ack is
 * lost and it is retried after the duplicate window (e.g. a spool drained
 * after more than 2 minutes by a restarted process that had sent part of
 * it). Analysers de-duplicate by event id.
 */
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { GatewayEvent } from '../events/types.ts';
import { batchFromLines, type Batch } from './batch.ts';
import { openLink, type NatsLink } from './connection.ts';
import { safeLog, type BusLog } from './log.ts';
import { openSpool, type Spool, type SpoolRecord, type SpoolSegment } from './spool.ts';
import { DEFAULT_STREAM, DEFAULT_SUBJECT, ensureStream } from './stream.ts';

export interface NatsPublisherOptions {
  servers: string[];
  /** default 'APIWARDEN_EVENTS' */
  stream?: string;
  /** default 'apiwarden.events' */
  subject?: string;
  spoolDir: string;
  /** default 256 MiB */
  spoolMaxBytes?: number;
  /** default 500 */
  batchMaxEvents?: number;
  /** default 50 */
  batchMaxDelayMs?: number;
  /** the largest message, before the server's max_payload caps it further; default 1 MiB */
  maxMessageBytes?: number;
  /** events waiting in memory before the oldest are spooled; default 10,000 */
  maxPendingEvents?: number;
  /** messages awaiting their JetStream ack at once; default 8 */
  maxInFlight?: number;
  /** how long a publish may wait for its ack before the batch is spooled; default 5000 ms */
  ackTimeoutMs?: number;
  /** create the stream when missing (file storage, limits, 2 min duplicate window); default true */
  createStream?: boolean;
  /** max age of a created stream; default 7 days */
  streamMaxAgeMs?: number;
  /** the client name NATS shows; default 'apiwarden-publisher' */
  name?: string;
  log?: BusLog;
  /** spool fdatasync delay; default 1000 ms */
  spoolSyncIntervalMs?: number;
  /**
   * how long createNatsPublisher waits for NATS before resolving anyway (the
   * first events then go to the spool); default 2000 ms, 0 to never wait
   */
  startupWaitMs?: number;
}

export interface NatsPublisherStats {
  /** publish() calls */
  published: number;
  /** events acknowledged by JetStream (straight from memory or drained from the spool) */
  acked: number;
  /** events written to the spool */
  spooled: number;
  /** bytes of spool files on disk */
  spoolBytes: number;
  /** events acknowledged after a stay in the spool (included in acked) */
  drained: number;
  /** events lost: spool bound, disk errors, unserialisable or oversized, published after close */
  dropped: number;
  /** events in memory: waiting for a batch, in flight, or waiting for the disk */
  pending: number;
  /** connected to a NATS server */
  connected: boolean;
  /** messages JetStream reported as already stored (a retry the duplicate window absorbed) */
  duplicates: number;
  /** events on disk not yet acknowledged */
  spoolEvents: number;
}

export interface NatsPublisher {
  /** Queues the event; synchronous, never blocks, never throws. */
  publish(event: GatewayEvent): void;
  /**
   * Resolves when every event published before the call is acknowledged by
   * JetStream, on disk in the spool (fdatasync'ed), or dropped. It does not
   * wait for the spool to drain.
   */
  flush(): Promise<void>;
  /** Flushes, stops, and closes the connection; what is spooled stays for the next start. */
  close(): Promise<void>;
  stats(): NatsPublisherStats;
}

const MiB = 1024 * 1024;
/** room for the Nats-Msg-Id and Nats-Expected-Stream headers under max_payload */
const HEADER_ROOM = 4096;

export async function createNatsPublisher(options: NatsPublisherOptions): Promise<NatsPublisher> {
  const log = safeLog(options.log);
  const stream = options.stream ?? DEFAULT_STREAM;
  const subject = options.subject ?? DEFAULT_SUBJECT;
  const batchMaxEvents = Math.max(1, options.batchMaxEvents ?? 500);
  const batchMaxDelayMs = Math.max(0, options.batchMaxDelayMs ?? 50);
  const maxPending = Math.max(batchMaxEvents, options.maxPendingEvents ?? 10_000);
  const maxInFlight = Math.max(1, options.maxInFlight ?? 8);
  const ackTimeoutMs = options.ackTimeoutMs ?? 5000;
  const configuredMaxMessage = Math.min(options.maxMessageBytes ?? MiB, MiB);
  const createStream = options.createStream ?? true;

  let settled = 0;
  const flushWaiters: { target: number; resolve: () => void }[] = [];
  function settle(events: number): void {
    settled += events;
    if (flushWaiters.length === 0) return;
    for (let i = flushWaiters.length - 1; i >= 0; i--) {
      const w = flushWaiters[i]!;
      if (settled >= w.target) {
        flushWaiters.splice(i, 1);
        w.resolve();
      }
    }
  }

  const spool: Spool = await openSpool({
    dir: options.spoolDir,
    maxBytes: options.spoolMaxBytes ?? 256 * MiB,
    syncIntervalMs: options.spoolSyncIntervalMs,
    log,
    onSettled: settle,
  });

  // --- in-memory queue of serialised events (a head index instead of shift(): O(1) per event)
  let lines: string[] = [];
  let sizes: number[] = [];
  let head = 0;
  let pendingBytes = 0;
  let pendingSince = 0;
  let published = 0;
  let cut = 0; // events taken out of the queue (batched or spooled)
  let forceCutUntil = 0; // flush/close: cut regardless of the delay until `cut` reaches this
  let rejected = 0; // dropped at publish()
  let acked = 0;
  let drained = 0;
  let duplicates = 0;
  let inFlightEvents = 0;
  let closing = false;
  let stopped = false;
  let lastRejectLog = 0;

  const pendingCount = (): number => lines.length - head;

  // --- the link to NATS and its JetStream handles
  const link: NatsLink = openLink({ servers: options.servers, name: options.name ?? 'apiwarden-publisher', log });
  let handles: { nc: NatsConnection; js: JetStreamClient; jsm: JetStreamManager } | null = null;
  let streamOk = false;
  let retryAt = 0;
  let failures = 0;
  const aborts = new Set<(error: Error) => void>();
  let firstReady: () => void = () => {};
  const firstReadyPromise = new Promise<void>((resolve) => (firstReady = resolve));

  link.onChange((connected) => {
    if (!connected) {
      // the acks of what is in flight will not come: spool those batches now, not after ackTimeoutMs
      for (const abort of [...aborts]) abort(new Error('disconnected from NATS'));
      streamOk = false;
    } else {
      retryAt = 0;
    }
    wake();
  });

  function maxMessageBytes(): number {
    const serverMax = handles?.nc.info?.max_payload ?? MiB;
    return Math.max(1024, Math.min(configuredMaxMessage, serverMax - HEADER_ROOM));
  }

  // --- waking the pump
  let wakeFn: (() => void) | null = null;
  let dueTimer: NodeJS.Timeout | null = null;
  function wake(): void {
    const w = wakeFn;
    wakeFn = null;
    w?.();
  }
  function idleWait(ms: number | null): Promise<void> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | null = null;
      wakeFn = () => {
        if (timer) clearTimeout(timer);
        resolve();
      };
      if (ms !== null) {
        timer = setTimeout(() => wake(), Math.max(0, ms));
        timer.unref();
      }
    });
  }

  function rejectEvent(why: string, detail?: Record<string, unknown>): void {
    rejected++;
    settle(1);
    const now = Date.now();
    if (now - lastRejectLog >= 10_000) {
      lastRejectLog = now;
      log('warn', `bus: event dropped: ${why}`, { ...detail, droppedAtPublish: rejected });
    }
  }

  function publish(event: GatewayEvent): void {
    published++;
    if (closing) return rejectEvent('publisher closed');
    let line: string;
    try {
      line = JSON.stringify(event);
    } catch (error) {
      return rejectEvent('cannot serialise', { error: String(error) });
    }
    const size = Buffer.byteLength(line) + 1;
    if (size > maxMessageBytes()) return rejectEvent('larger than a message', { bytes: size, id: event.id });
    lines.push(line);
    sizes.push(size);
    pendingBytes += size;
    const count = pendingCount();
    if (count === 1) {
      pendingSince = Date.now();
      armDueTimer();
    }
    if (count >= batchMaxEvents || pendingBytes >= maxMessageBytes()) wake();
    // the memory bound: spool the oldest batch rather than hold more
    if (count > maxPending) spool.append(cutBatch());
  }

  function armDueTimer(): void {
    if (dueTimer) return;
    dueTimer = setTimeout(() => {
      dueTimer = null;
      wake();
    }, batchMaxDelayMs);
    dueTimer.unref();
  }

  function isDue(): boolean {
    const count = pendingCount();
    if (count === 0) return false;
    return (
      cut < forceCutUntil ||
      count >= batchMaxEvents ||
      pendingBytes >= maxMessageBytes() ||
      Date.now() - pendingSince >= batchMaxDelayMs
    );
  }

  /** ms until the queued events are due, or null when nothing is queued */
  function dueIn(): number | null {
    if (pendingCount() === 0) return null;
    if (isDue()) return 0;
    return pendingSince + batchMaxDelayMs - Date.now();
  }

  /** Takes the oldest events (at least one) that fit one message. */
  function cutBatch(): Batch {
    const max = maxMessageBytes();
    const start = head;
    let bytes = 0;
    while (head < lines.length && head - start < batchMaxEvents && (head === start || bytes + sizes[head]! <= max)) {
      bytes += sizes[head]!;
      head++;
    }
    const batch = batchFromLines(lines.slice(start, head));
    pendingBytes -= bytes;
    cut += batch.count;
    if (head === lines.length) {
      lines = [];
      sizes = [];
      head = 0;
    } else {
      if (head > 4096 && head * 2 > lines.length) {
        lines = lines.slice(head);
        sizes = sizes.slice(head);
        head = 0;
      }
      // what is left arrived later; start its delay now (close enough, and it is often due by count)
      pendingSince = Date.now();
    }
    if (pendingCount() === 0 && dueTimer) {
      clearTimeout(dueTimer);
      dueTimer = null;
    } else if (pendingCount() > 0) {
      armDueTimer();
    }
    return batch;
  }

  /** Everything that is due goes to the spool (offline, or behind a non-empty spool). */
  function spillDue(): void {
    while (isDue()) spool.append(cutBatch());
  }

  // --- sending
  async function jsHandles(): Promise<{ js: JetStreamClient; jsm: JetStreamManager }> {
    const nc = link.nc;
    if (!nc) throw new Error('not connected');
    if (!handles || handles.nc !== nc) {
      const jsm = await jetstreamManager(nc, { timeout: ackTimeoutMs });
      handles = { nc, js: jetstream(nc, { timeout: ackTimeoutMs }), jsm };
    }
    return handles;
  }

  function ready(): boolean {
    return link.connected && streamOk && handles !== null && handles.nc === link.nc;
  }

  function onSendFailure(error: unknown): void {
    if (!streamOk) return; // already handled for this outage
    streamOk = false;
    failures++;
    retryAt = Date.now() + Math.min(250 * 2 ** (failures - 1), 5000);
    log('warn', 'bus: JetStream publish failed; spooling until it answers again', { error: String(error), stream, subject });
  }

  /** Connected but not yet sure the stream takes messages: check (and create) it. */
  async function probe(): Promise<void> {
    try {
      const { jsm } = await jsHandles();
      if (createStream) {
        await ensureStream(jsm, { stream, subject, maxAgeMs: options.streamMaxAgeMs });
      } else {
        await jsm.streams.info(stream);
      }
      streamOk = true;
      firstReady();
      log('info', 'bus: publishing events to JetStream', { stream, subject, spooledEvents: spool.stats().events });
    } catch (error) {
      failures++;
      retryAt = Date.now() + Math.min(250 * 2 ** (failures - 1), 5000);
      if (failures === 1 || failures % 20 === 0) {
        log('warn', 'bus: JetStream not ready; spooling', { error: String(error), stream, failures });
      }
    }
  }

  /** One message, acknowledged; rejects at once when the connection drops. */
  function send(js: JetStreamClient, batch: Batch): Promise<boolean> {
    return new Promise((resolve, reject) => {
      const abort = (error: Error): void => {
        aborts.delete(abort);
        reject(error);
      };
      aborts.add(abort);
      js.publish(subject, batch.payload, { msgID: batch.msgId, timeout: ackTimeoutMs, expect: { streamName: stream } }).then(
        (ack) => {
          aborts.delete(abort);
          resolve(ack.duplicate);
        },
        (error: unknown) => {
          aborts.delete(abort);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  const inFlight = new Set<Promise<void>>();
  async function windowSlot(): Promise<void> {
    while (inFlight.size >= maxInFlight) await Promise.race(inFlight);
  }
  function track(p: Promise<void>): void {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  }

  /** A batch from memory: on failure it goes to the spool (its id unchanged, so a late ack is harmless). */
  async function sendDirect(batch: Batch): Promise<void> {
    const { js } = await jsHandles();
    inFlightEvents += batch.count;
    track(
      send(js, batch).then(
        (duplicate) => {
          inFlightEvents -= batch.count;
          acked += batch.count;
          if (duplicate) duplicates++;
          failures = 0;
          settle(batch.count);
        },
        (error: unknown) => {
          inFlightEvents -= batch.count;
          spool.append(batch);
          onSendFailure(error);
        },
      ),
    );
  }

  /** The oldest spool segment, in order; deleted only when every one of its messages is acknowledged. */
  async function drainOne(): Promise<void> {
    const segment: SpoolSegment | null = await spool.takeOldest();
    if (!segment) return;
    let failed = false;
    try {
      const records = await spool.read(segment);
      const { js } = await jsHandles();
      for (const record of records) {
        if (failed || closing || !ready()) {
          failed = true;
          break;
        }
        await windowSlot();
        if (failed || !ready()) {
          failed = true;
          break;
        }
        track(
          sendRecord(js, record).then(
            () => {
              spool.acked(segment, record);
              acked += record.batch.count;
              drained += record.batch.count;
              failures = 0;
            },
            (error: unknown) => {
              failed = true;
              onSendFailure(error);
            },
          ),
        );
        spillDue(); // events arriving meanwhile queue up behind the spool
      }
      await Promise.all(inFlight);
    } catch (error) {
      failed = true;
      onSendFailure(error);
    }
    if (failed || segment.events > 0) {
      spool.release(segment);
    } else {
      await spool.finish(segment);
    }
  }

  /** A spooled batch; one cut under a larger max_payload is split to fit this server (new ids). */
  async function sendRecord(js: JetStreamClient, record: SpoolRecord): Promise<void> {
    const max = maxMessageBytes();
    const parts = record.batch.payload.length <= max ? [record.batch] : splitBatch(record.batch, max);
    for (const part of parts) {
      if (await send(js, part)) duplicates++;
    }
  }

  // --- the pump: one loop, so the order of sends and spool writes is the order of events
  async function step(): Promise<void> {
    if (link.connected && !ready() && Date.now() >= retryAt && !closing) {
      await probe();
      return;
    }
    if (!ready()) {
      spillDue();
      if (closing) {
        if (inFlight.size > 0) await Promise.all(inFlight);
        if (pendingCount() === 0 && inFlight.size === 0) stopped = true;
        return;
      }
      let wait = dueIn();
      if (link.connected) {
        const untilRetry = Math.max(0, retryAt - Date.now());
        wait = wait === null ? untilRetry : Math.min(wait, untilRetry);
      }
      await idleWait(wait);
      return;
    }
    if (spool.hasData()) {
      spillDue();
      if (closing) {
        // the spool waits for the next start; only what is in flight is seen through
        if (inFlight.size > 0) await Promise.all(inFlight);
        spillDue();
        if (pendingCount() === 0) stopped = true;
        return;
      }
      await drainOne();
      return;
    }
    if (isDue()) {
      await windowSlot();
      if (!ready() || spool.hasData()) return; // the world changed while waiting: decide again
      if (isDue()) await sendDirect(cutBatch());
      return;
    }
    if (closing) {
      if (inFlight.size > 0) await Promise.all(inFlight);
      if (pendingCount() === 0 && inFlight.size === 0) stopped = true;
      return;
    }
    await idleWait(dueIn());
  }

  const pumpDone = (async () => {
    while (!stopped) {
      try {
        await step();
      } catch (error) {
        log('error', 'bus: publisher pump failed; retrying', { error: String(error) });
        await idleWait(100);
      }
    }
  })();

  function stats(): NatsPublisherStats {
    const s = spool.stats();
    return {
      published,
      acked,
      spooled: s.spooled,
      spoolBytes: s.bytes,
      drained,
      dropped: s.dropped + rejected,
      pending: pendingCount() + inFlightEvents + s.queuedEvents,
      connected: link.connected,
      duplicates,
      spoolEvents: s.events,
    };
  }

  async function flush(): Promise<void> {
    const target = published;
    forceCutUntil = Math.max(forceCutUntil, cut + pendingCount());
    wake();
    if (settled < target) await new Promise<void>((resolve) => flushWaiters.push({ target, resolve }));
    await spool.sync();
  }

  let closePromise: Promise<void> | null = null;
  function close(): Promise<void> {
    closePromise ??= (async () => {
      await flush().catch((error: unknown) => log('error', 'bus: flush on close failed', { error: String(error) }));
      closing = true;
      forceCutUntil = Number.POSITIVE_INFINITY;
      wake();
      await pumpDone;
      if (dueTimer) clearTimeout(dueTimer);
      await spool.close();
      await link.close();
      const left = spool.stats().events;
      if (left > 0) log('info', 'bus: publisher closed with events in the spool; the next start sends them', { events: left });
    })();
    return closePromise;
  }

  // a gateway starting next to a healthy NATS should not spool its first requests
  const startupWaitMs = Math.max(0, options.startupWaitMs ?? 2000);
  if (startupWaitMs > 0) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([firstReadyPromise, new Promise<void>((resolve) => (timer = setTimeout(resolve, startupWaitMs)))]);
    clearTimeout(timer);
  }

  return { publish, flush, close, stats };
}

/** Splits a batch into batches of at most maxBytes (whole lines). */
export function splitBatch(batch: Batch, maxBytes: number): Batch[] {
  const out: Batch[] = [];
  let current: string[] = [];
  let bytes = 0;
  for (const line of batch.payload.toString('utf8').split('\n')) {
    if (line === '') continue;
    const size = Buffer.byteLength(line) + 1;
    if (current.length > 0 && bytes + size > maxBytes) {
      out.push(batchFromLines(current));
      current = [];
      bytes = 0;
    }
    current.push(line);
    bytes += size;
  }
  if (current.length > 0) out.push(batchFromLines(current));
  return out;
}
