/**
 * A gateway's side of the scale-out (bus: nats): every event is published
 * to JetStream (spooled to disk while NATS is away, src/bus/nats-publisher.ts),
 * and the decisions the analysers make arrive on a plain NATS subject and
 * take effect here at once: bans and blocks in the ban mirror, delays as
 * slowdowns. (Bans also reach the shared limiter store when it is Redis:
 * the mirror then has them within its refresh anyway.)
 */
import type { BusConfig, PolicyConfig } from '../config/types.ts';
import type { EventBus } from '../events/bus.ts';
import type { LimiterRuntime } from '../limiter/runtime.ts';
import { createDecisionChannel, type DecisionChannel } from '../bus/decisions.ts';
import { createNatsPublisher, type NatsPublisher } from '../bus/nats-publisher.ts';
import type { Decision } from '../detect/types.ts';

type Log = (level: 'info' | 'warn' | 'error', message: string, detail?: Record<string, unknown>) => void;

export interface ScaleOut {
  readonly publisher: NatsPublisher;
  readonly decisions: DecisionChannel;
  close(): Promise<void>;
}

/** A decision from an analyser, applied to this gateway's mirror of bans and slowdowns. */
export function applyDecision(limiter: LimiterRuntime, decision: Decision): void {
  if (decision.dryRun || decision.banKey === null) return;
  if (decision.action === 'delay') {
    limiter.slowdowns.add({ key: decision.banKey, until: decision.until, delayMs: decision.delayMs, reason: `detect:${decision.rule}` });
  } else if (decision.action === 'ban' || decision.action === 'block') {
    limiter.bans.add({ key: decision.banKey, until: decision.until, level: decision.level, reason: `detect:${decision.rule}` });
  }
}

export async function startScaleOut(nats: NonNullable<BusConfig['nats']>, config: PolicyConfig, bus: EventBus, limiter: LimiterRuntime, log: Log): Promise<ScaleOut> {
  const busLog = (level: string, message: string, detail?: Record<string, unknown>): void => log(level === 'debug' ? 'info' : level as 'info' | 'warn' | 'error', message, detail);
  const publisher = await createNatsPublisher({
    servers: nats.servers, stream: nats.stream, subject: nats.subject,
    spoolDir: nats.spool.dir, spoolMaxBytes: nats.spool.maxBytes, log: busLog,
  });
  const unsubscribe = bus.subscribe((event) => publisher.publish(event));
  const decisions = await createDecisionChannel({ servers: nats.servers, subject: nats.decisions, log: busLog });
  const stopDecisions = decisions.subscribeDecisions((d) => {
    // monitor mode reports; it never refuses
    if (config.mode === 'monitor') return;
    applyDecision(limiter, d);
  });
  return {
    publisher,
    decisions,
    async close() {
      stopDecisions();
      unsubscribe();
      await publisher.close();
      await decisions.close();
    },
  };
}
