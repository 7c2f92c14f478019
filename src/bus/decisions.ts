/**
 * Detection decisions (ban, block, delay, alert) from analysers to every
 * gateway, on a plain NATS subject: a decision must apply everywhere at once,
 * and every gateway needs every decision, so this is fan-out pub/sub, not a
 * JetStream work queue. A gateway that was disconnected misses what was sent
 * meanwhile; analysers re-send decisions that still hold (or the limiter's
 * shared store has them), so no replay is kept here.
 *
 * While the publishing side is disconnected, decisions wait in a small
 * bounded queue (oldest dropped) and are sent `reconnectSettleMs` (1 s) after
 * the reconnect, unless they have expired: the gateways reconnect to a
 * restarted server at about the same time, and a ban decided during a NATS
 * blip should find them subscribed again.
 * Incoming messages are validated; a malformed one is counted and skipped,
 * and a throwing handler cannot stop the others.
 */
import type { Subscription } from '@nats-io/transport-node';
import type { Decision, DecisionAction } from '../detect/types.ts';
import { openLink } from './connection.ts';
import { safeLog, type BusLog } from './log.ts';

export const DEFAULT_DECISIONS_SUBJECT = 'apiwarden.decisions';

export interface DecisionChannelOptions {
  servers: string[];
  /** default 'apiwarden.decisions' */
  subject?: string;
  /** decisions held while disconnected; default 1000 */
  maxQueued?: number;
  /** delay between a reconnect and sending what was queued; default 1000 ms */
  reconnectSettleMs?: number;
  /** the client name NATS shows; default 'apiwarden-decisions' */
  name?: string;
  log?: BusLog;
}

export interface DecisionChannelStats {
  published: number;
  received: number;
  /** received messages that were not a decision */
  malformed: number;
  /** queued while disconnected and dropped: past the bound, or expired before the reconnect */
  dropped: number;
  queued: number;
  connected: boolean;
}

export interface DecisionChannel {
  /** Sends to every gateway; synchronous, never throws (queued while disconnected). */
  publishDecision(decision: Decision): void;
  /** Calls `handler` for every decision published by anyone (this process included); returns an unsubscribe. */
  subscribeDecisions(handler: (decision: Decision) => void): () => void;
  stats(): DecisionChannelStats;
  close(): Promise<void>;
}

const ACTIONS: ReadonlySet<DecisionAction> = new Set(['alert', 'delay', 'block', 'ban']);

export function isDecision(value: unknown): value is Decision {
  if (typeof value !== 'object' || value === null) return false;
  const d = value as Record<string, unknown>;
  const identity = d.identity as Record<string, unknown> | null | undefined;
  return (
    typeof d.rule === 'string' &&
    typeof d.action === 'string' &&
    ACTIONS.has(d.action as DecisionAction) &&
    typeof identity === 'object' &&
    identity !== null &&
    typeof identity.kind === 'string' &&
    typeof identity.value === 'string' &&
    (d.banKey === null || typeof d.banKey === 'string') &&
    typeof d.durationMs === 'number' &&
    typeof d.delayMs === 'number' &&
    typeof d.dryRun === 'boolean' &&
    typeof d.time === 'number' &&
    typeof d.until === 'number'
  );
}

export async function createDecisionChannel(options: DecisionChannelOptions): Promise<DecisionChannel> {
  const log = safeLog(options.log);
  const subject = options.subject ?? DEFAULT_DECISIONS_SUBJECT;
  const maxQueued = Math.max(1, options.maxQueued ?? 1000);
  const reconnectSettleMs = Math.max(0, options.reconnectSettleMs ?? 1000);
  let settleTimer: NodeJS.Timeout | null = null;
  const link = openLink({ servers: options.servers, name: options.name ?? 'apiwarden-decisions', log });
  const handlers = new Set<(decision: Decision) => void>();
  const queue: Decision[] = [];
  const stats = { published: 0, received: 0, malformed: 0, dropped: 0 };
  let sub: Subscription | null = null;
  let closed = false;

  function deliver(data: Uint8Array): void {
    let value: unknown;
    try {
      value = JSON.parse(new TextDecoder().decode(data));
    } catch {
      value = undefined;
    }
    if (!isDecision(value)) {
      stats.malformed++;
      return;
    }
    stats.received++;
    for (const handler of handlers) {
      try {
        handler(value);
      } catch (error) {
        log('error', 'bus: decision handler failed', { rule: value.rule, error: String(error) });
      }
    }
  }

  function send(decision: Decision): boolean {
    const nc = link.nc;
    if (!nc || !link.connected) return false;
    try {
      nc.publish(subject, JSON.stringify(decision));
      return true;
    } catch (error) {
      log('warn', 'bus: cannot publish a decision; queued', { error: String(error) });
      return false;
    }
  }

  function flushQueue(): void {
    const now = Date.now();
    while (queue.length > 0 && link.connected) {
      const decision = queue[0]!;
      if (decision.until <= now && decision.action !== 'alert') {
        queue.shift();
        stats.dropped++;
        continue;
      }
      if (!send(decision)) return;
      queue.shift();
      stats.published++;
    }
  }

  function ensureSubscription(): void {
    const nc = link.nc;
    if (closed || !nc || nc.isClosed() || handlers.size === 0 || sub) return;
    // the client re-subscribes by itself after a reconnect; a new connection needs a new subscription
    let s: Subscription;
    try {
      s = nc.subscribe(subject, { callback: (error, msg) => (error ? log('warn', 'bus: decision subscription error', { error: String(error) }) : deliver(msg.data)) });
    } catch (error) {
      log('warn', 'bus: cannot subscribe to decisions yet', { error: String(error) });
      return;
    }
    sub = s;
    void s.closed.then(() => {
      if (sub === s) sub = null;
      if (!closed) ensureSubscription();
    });
  }

  link.onChange((connected) => {
    if (!connected) return;
    ensureSubscription();
    if (queue.length === 0 || settleTimer) return;
    settleTimer = setTimeout(() => {
      settleTimer = null;
      flushQueue();
    }, reconnectSettleMs);
  });

  return {
    publishDecision(decision) {
      if (closed) return;
      if (queue.length === 0 && !settleTimer && send(decision)) {
        stats.published++;
        return;
      }
      queue.push(decision);
      if (queue.length > maxQueued) {
        queue.shift();
        stats.dropped++;
      }
    },
    subscribeDecisions(handler) {
      handlers.add(handler);
      ensureSubscription();
      return () => {
        handlers.delete(handler);
      };
    },
    stats() {
      return { ...stats, queued: queue.length, connected: link.connected };
    },
    async close() {
      if (closed) return;
      closed = true;
      handlers.clear();
      if (settleTimer) clearTimeout(settleTimer);
      // let what is queued in the client reach the server
      const nc = link.nc;
      if (nc && link.connected) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([nc.flush().catch(() => {}), new Promise<void>((resolve) => (timer = setTimeout(resolve, 2000)))]);
        clearTimeout(timer);
      }
      await link.close();
    },
  };
}
