/**
 * The analyser's side: gateway events from the JetStream stream, read as one
 * consumer group, handed to `handle` (which writes them to PostgreSQL).
 *
 * Why it is built this way:
 *
 * - One durable pull consumer shared by every analyser (same `durable`
 *   name): each message goes to one of them, and adding an analyser adds
 *   capacity. Pull, not push, so an analyser only takes what it is ready to
 *   handle (`batchSize` messages per fetch, each up to 500 events).
 * - A message is acknowledged only after `handle` resolves for its events.
 *   An analyser that dies mid-batch leaves it unacknowledged, and JetStream
 *   gives it to another member of the group after `ackWaitMs`. While `handle`
 *   runs, the message is kept alive with `working()` so a slow store does
 *   not cause a redelivery; a `handle` that has not settled after
 *   `handleTimeoutMs` (60 s) counts as failed, so a hung store call cannot
 *   hold a message, or the analyser, forever.
 * - When `handle` rejects (the store is briefly down) the message is nak'ed
 *   with a delay growing with its delivery count (0.5 s … 30 s), and so are
 *   the rest of that fetch, and the analyser waits that delay before
 *   fetching again: the stream holds the events meanwhile, nothing is lost
 *   and the store is not hammered. Redelivery is unlimited by default
 *   (`maxDeliver` -1), since a store outage must not discard events.
 * - A message with no valid event line is terminated (`term`) and counted;
 *   bad lines inside an otherwise good message are skipped and counted. No
 *   payload can crash the loop.
 * - An ack can be lost with the connection (a server stopping right after
 *   it, for one), and the message comes back. The analyser remembers the
 *   stream sequences it handled last (`recentMessages`, 65,536) and only
 *   acks such a redelivery again instead of handling it twice. Another
 *   analyser does not know them, and a publisher retry can outlive the
 *   duplicate window, so delivery stays at-least-once: `handle` should still
 *   de-duplicate by event id (e.g. `ON CONFLICT (id) DO NOTHING`).
 */
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, ReplayPolicy, JetStreamApiCodes, type Consumer, type ConsumerMessages, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import { setTimeout as sleep } from 'node:timers/promises';
import type { GatewayEvent } from '../events/types.ts';
import { parseBatch } from './batch.ts';
import { openLink } from './connection.ts';
import { safeLog, type BusLog } from './log.ts';
import { DEFAULT_STREAM, DEFAULT_SUBJECT, ensureStream, isApiError } from './stream.ts';

export const DEFAULT_DURABLE = 'apiwarden-analysers';

export interface NatsConsumerOptions {
  servers: string[];
  /** default 'APIWARDEN_EVENTS' */
  stream?: string;
  /** default 'apiwarden.events' */
  subject?: string;
  /** the consumer group's name; default 'apiwarden-analysers' */
  durable?: string;
  /** messages per fetch (each up to the publisher's batchMaxEvents events); default 8 */
  batchSize?: number;
  /** how long a delivered, unacknowledged message waits before redelivery; default 30,000 ms */
  ackWaitMs?: number;
  /** unacknowledged messages across the group; default 1000 */
  maxAckPending?: number;
  /** deliveries per message before JetStream gives up; default -1 (never) */
  maxDeliver?: number;
  /** a fetch's long-poll time; default 5000 ms (the server's minimum is 1000) */
  fetchExpiresMs?: number;
  /** first nak delay after a failed handle, doubled per delivery up to maxNakDelayMs; default 500 ms */
  nakDelayMs?: number;
  /** default 30,000 ms */
  maxNakDelayMs?: number;
  /** a handle() call still running after this counts as failed (nak); default 60,000 ms */
  handleTimeoutMs?: number;
  /** how long close() waits for a running handle; default 10,000 ms */
  closeTimeoutMs?: number;
  /** create the stream when missing; default true */
  createStream?: boolean;
  /** stream sequences of handled messages remembered to skip their redelivery; default 65,536 */
  recentMessages?: number;
  /** the client name NATS shows; default 'apiwarden-analyser' */
  name?: string;
  log?: BusLog;
  handle: (events: GatewayEvent[]) => Promise<void>;
}

export interface NatsConsumerStats {
  /** messages received (including redeliveries) */
  messages: number;
  /** events handed to handle() that it accepted */
  events: number;
  acked: number;
  nakked: number;
  /** messages redelivered to this analyser */
  redelivered: number;
  /** malformed messages terminated */
  terminated: number;
  /** bad lines skipped inside good messages */
  malformedEvents: number;
  /** handle() rejections */
  handleErrors: number;
  /** redeliveries of messages this analyser had already handled (acked again, not handled again) */
  skipped: number;
  connected: boolean;
}

export interface NatsConsumer {
  /** Stops fetching, lets a running handle finish (acking it), gives back what was not handled, closes. */
  close(): Promise<void>;
  stats(): NatsConsumerStats;
}

/** Waits for `p`, at most `ms`; never rejects. */
async function withTimeout(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p.catch(() => {}), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

export async function createNatsConsumer(options: NatsConsumerOptions): Promise<NatsConsumer> {
  const log = safeLog(options.log);
  const stream = options.stream ?? DEFAULT_STREAM;
  const subject = options.subject ?? DEFAULT_SUBJECT;
  const durable = options.durable ?? DEFAULT_DURABLE;
  const batchSize = Math.max(1, options.batchSize ?? 8);
  const ackWaitMs = options.ackWaitMs ?? 30_000;
  const maxAckPending = options.maxAckPending ?? 1000;
  const maxDeliver = options.maxDeliver ?? -1;
  const fetchExpiresMs = Math.max(1000, options.fetchExpiresMs ?? 5000);
  const nakDelayMs = options.nakDelayMs ?? 500;
  const maxNakDelayMs = options.maxNakDelayMs ?? 30_000;
  const closeTimeoutMs = options.closeTimeoutMs ?? 10_000;
  const handleTimeoutMs = options.handleTimeoutMs ?? 60_000;
  const createStream = options.createStream ?? true;
  const handle = options.handle;

  const stats: NatsConsumerStats = {
    messages: 0,
    events: 0,
    acked: 0,
    nakked: 0,
    redelivered: 0,
    terminated: 0,
    malformedEvents: 0,
    handleErrors: 0,
    skipped: 0,
    connected: false,
  };
  // stream sequences handled lately, oldest evicted first
  const recentMax = Math.max(1, options.recentMessages ?? 65_536);
  const recent = new Set<number>();
  const recentRing: number[] = [];
  let recentNext = 0;
  function remember(seq: number): void {
    if (recent.has(seq)) return;
    if (recentRing.length < recentMax) {
      recentRing.push(seq);
    } else {
      recent.delete(recentRing[recentNext]!);
      recentRing[recentNext] = seq;
      recentNext = (recentNext + 1) % recentMax;
    }
    recent.add(seq);
  }
  const link = openLink({ servers: options.servers, name: options.name ?? 'apiwarden-analyser', log });
  const stop = new AbortController();
  let closing = false;
  let current: ConsumerMessages | null = null;
  let handling: Promise<void> | null = null;
  let bound: { nc: NatsConnection; consumer: Consumer } | null = null;
  let lastMalformedLog = 0;

  async function ensureDurable(jsm: JetStreamManager): Promise<void> {
    const wanted = {
      ack_wait: nanos(ackWaitMs),
      max_ack_pending: maxAckPending,
      max_deliver: maxDeliver,
    };
    try {
      const info = await jsm.consumers.info(stream, durable);
      const c = info.config;
      if (c.ack_wait !== wanted.ack_wait || c.max_ack_pending !== wanted.max_ack_pending || c.max_deliver !== wanted.max_deliver) {
        // the last analyser started decides: the group shares one configuration
        await jsm.consumers.update(stream, durable, wanted).catch((error: unknown) =>
          log('warn', 'bus: cannot update the consumer group settings; keeping the existing ones', { durable, error: String(error) }),
        );
      }
      return;
    } catch (error) {
      if (!isApiError(error, JetStreamApiCodes.ConsumerNotFound)) throw error;
    }
    try {
      await jsm.consumers.add(stream, {
        durable_name: durable,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        replay_policy: ReplayPolicy.Instant,
        filter_subject: subject,
        ...wanted,
      });
    } catch (error) {
      // another analyser created it first: fine, it is the same group
      const info = await jsm.consumers.info(stream, durable).catch(() => null);
      if (!info) throw error;
    }
  }

  async function consumerFor(nc: NatsConnection): Promise<Consumer> {
    if (bound && bound.nc === nc) return bound.consumer;
    const jsm = await jetstreamManager(nc);
    if (createStream) await ensureStream(jsm, { stream, subject });
    await ensureDurable(jsm);
    const consumer = await jetstream(nc).consumers.get(stream, durable);
    bound = { nc, consumer };
    log('info', 'bus: consuming events', { stream, subject, durable });
    return consumer;
  }

  function backoff(deliveryCount: number): number {
    return Math.min(nakDelayMs * 2 ** Math.max(0, deliveryCount - 1), maxNakDelayMs);
  }

  /** Handles one message; returns a delay to back off when handle failed, else 0. */
  async function processMessage(m: JsMsg): Promise<number> {
    stats.messages++;
    if (m.redelivered) {
      stats.redelivered++;
      if (recent.has(m.seq)) {
        // handled here before; its ack was lost
        m.ack();
        stats.acked++;
        stats.skipped++;
        return 0;
      }
    }
    const { events, malformed } = parseBatch(m.data);
    if (malformed > 0) {
      stats.malformedEvents += malformed;
      const now = Date.now();
      if (now - lastMalformedLog >= 10_000) {
        lastMalformedLog = now;
        log('warn', 'bus: malformed event lines skipped', { seq: m.seq, lines: malformed, total: stats.malformedEvents });
      }
    }
    if (events.length === 0) {
      stats.terminated++;
      m.term('apiwarden: no valid event line');
      log('warn', 'bus: malformed message terminated', { seq: m.seq, bytes: m.data.length });
      return 0;
    }
    // keep the message ours while the store works, however slow
    const keepAlive = setInterval(() => m.working(), Math.max(250, Math.floor(ackWaitMs / 3)));
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        Promise.resolve().then(() => handle(events)),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`handle did not settle within ${handleTimeoutMs} ms`)), handleTimeoutMs);
        }),
      ]);
      remember(m.seq);
      m.ack();
      stats.acked++;
      stats.events += events.length;
      return 0;
    } catch (error) {
      stats.handleErrors++;
      const delay = backoff(m.info.deliveryCount);
      m.nak(delay);
      stats.nakked++;
      log('warn', 'bus: handle failed; message returned for redelivery', { seq: m.seq, delayMs: delay, deliveries: m.info.deliveryCount, error: String(error) });
      return delay;
    } finally {
      clearInterval(keepAlive);
      clearTimeout(timer);
    }
  }

  async function run(): Promise<void> {
    let errors = 0;
    while (!closing) {
      let pauseMs = 0;
      try {
        const nc = await link.ready();
        const consumer = await consumerFor(nc);
        const messages = await consumer.fetch({ max_messages: batchSize, expires: fetchExpiresMs });
        current = messages;
        for await (const m of messages) {
          if (closing || pauseMs > 0) {
            // not handled: give it back (at once on close, after the back-off when the store failed)
            m.nak(closing ? undefined : pauseMs);
            stats.nakked++;
            continue;
          }
          const p = processMessage(m);
          handling = p.then(() => {});
          pauseMs = await p;
          handling = null;
        }
        current = null;
        errors = 0;
      } catch (error) {
        current = null;
        if (closing) break;
        errors++;
        bound = null; // look the stream and the consumer up again: the server may have lost them
        if (errors === 1 || errors % 20 === 0) log('warn', 'bus: fetching events failed; retrying', { stream, durable, error: String(error) });
        pauseMs = Math.min(250 * 2 ** Math.min(errors - 1, 4), 5000);
      }
      if (pauseMs > 0 && !closing) await sleep(pauseMs, undefined, { signal: stop.signal }).catch(() => {});
    }
  }

  link.onChange((connected) => {
    stats.connected = connected;
  });
  const running = run();

  let closePromise: Promise<void> | null = null;
  return {
    close() {
      closePromise ??= (async () => {
        closing = true;
        stop.abort();
        const inHandle = handling;
        if (inHandle) {
          let done = false;
          await withTimeout(inHandle.then(() => (done = true)), closeTimeoutMs);
          if (!done) log('warn', 'bus: handle still running at close; its message will be redelivered', { closeTimeoutMs });
        }
        current?.stop();
        // the last acks reach the server before the socket closes (bounded: the server may be gone)
        await withTimeout(link.nc?.flush() ?? Promise.resolve(), 2000);
        await link.close();
        await withTimeout(running, 1000);
      })();
      return closePromise;
    },
    stats() {
      return { ...stats, connected: link.connected };
    },
  };
}
