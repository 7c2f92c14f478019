/**
 * The analyser: the other half of the scale-out. It consumes the gateways'
 * events from NATS JetStream as one member of a durable consumer group,
 * writes them to the store (PostgreSQL: idempotent by event id, so a
 * redelivery after a crash counts once), and runs discovery and detection
 * on them: what no single gateway can see, such as an enumeration spread
 * over every gateway. Its decisions go to the shared limiter store (Redis)
 * and on a NATS subject every gateway listens to; its alerts to the sinks.
 *
 * Ordering that keeps counts exact: a batch is written to the store first
 * and acknowledged only after (src/bus/nats-consumer.ts), then fed to
 * discovery and detection, which skip event ids they have seen (a bounded
 * set of recent ids), so a redelivered batch neither loses nor doubles.
 * A store outage rejects the batch: JetStream redelivers it with backoff
 * while the stream holds the rest.
 */
import type pino from 'pino';
import type { AlertManager } from '../alerts/lifecycle.ts';
import { createDecisionChannel } from '../bus/decisions.ts';
import { createNatsConsumer, type NatsConsumer } from '../bus/nats-consumer.ts';
import { loadPolicy } from '../config/load.ts';
import type { PolicyConfig } from '../config/types.ts';
import { createDiscoveryRuntime, type DiscoveryRuntime } from '../discovery/runtime.ts';
import type { DetectionRuntime } from '../detect/runtime.ts';
import { startAnalysis } from '../analysis/analysis.ts';
import { ApiwardenError } from '../errors.ts';
import type { GatewayEvent } from '../events/types.ts';
import { createLimiterRuntime } from '../limiter/runtime.ts';
import { openStore } from '../store/open.ts';
import type { Store } from '../store/types.ts';
import { RecentIds } from './recent-ids.ts';
import { headersForCredential } from './credential-headers.ts';

export interface AnalyserStats {
  /** events written and analysed */
  events: number;
  /** redelivered events skipped by the analysis (the store skipped them too) */
  repeats: number;
  /** batches the store refused (redelivered later) */
  storeFailures: number;
}

export interface Analyser {
  readonly config: PolicyConfig;
  readonly store: Store;
  readonly discovery: DiscoveryRuntime | null;
  readonly detection: DetectionRuntime | null;
  readonly alerts: AlertManager;
  readonly consumer: NatsConsumer;
  stats(): AnalyserStats;
  close(): Promise<void>;
}

export interface AnalyserOptions {
  logger: pino.Logger;
  /** epoch ms for detection and alerts; default Date.now */
  clock?: () => number;
}

/** event ids remembered to skip redeliveries in the in-memory analysis */
const RECENT_IDS = 1_000_000;

export async function startAnalyser(policy: string | PolicyConfig, options: AnalyserOptions): Promise<Analyser> {
  const { logger } = options;
  const config = typeof policy === 'string' ? await loadPolicy(policy) : policy;
  const nats = config.bus.nats;
  if (nats === null) throw new ApiwardenError('ANALYSER_NO_BUS', `${config.source}: the analyser reads the gateways' events from NATS: set bus.nats in the policy`);
  const log = (level: 'info' | 'warn' | 'error', message: string, detail?: Record<string, unknown>): void => logger[level](detail ?? {}, message);
  const busLog = (level: string, message: string, detail?: Record<string, unknown>): void => log(level === 'debug' ? 'info' : level as 'info' | 'warn' | 'error', message, detail);
  const clock = options.clock ?? Date.now;

  const store = await openStore(config.store, { applicationName: 'apiwarden-analyser', onBackgroundError: (error) => log('warn', 'store background task failed', { error: String(error) }) });
  const limiter = await createLimiterRuntime(config.rateLimits, log);
  const discovery = config.discovery.enabled ? await createDiscoveryRuntime(config.discovery, store, log) : null;
  const analysis = await startAnalysis(config, { logger, log, clock, limiter, discovery, detect: true, alertStore: store });
  const { alerts, detection } = analysis;
  const channel = await createDecisionChannel({ servers: nats.servers, subject: nats.decisions, log: busLog, name: 'apiwarden-analyser-decisions' });
  // every gateway applies the analysers' decisions at once (src/gateway/scale-out.ts)
  const stopPublishing = detection?.onDecision((d) => channel.publishDecision(d)) ?? (() => {});

  const recent = new RecentIds(RECENT_IDS);
  const stats: AnalyserStats = { events: 0, repeats: 0, storeFailures: 0 };

  function analyse(event: GatewayEvent): void {
    const extras = event.extras;
    if (discovery) {
      const credential = extras?.credential ?? null;
      discovery.tap.observe(event, headersForCredential(credential), null, null, credential === 'mtls');
    }
    detection?.observeEvent(event, extras?.fingerprint ?? null, extras ? extras.identifiers : null, extras?.login ?? null);
  }

  const consumer = await createNatsConsumer({
    servers: nats.servers, stream: nats.stream, subject: nats.subject, durable: nats.durable, log: busLog,
    handle: async (events) => {
      try {
        await store.recordEvents(events);
      } catch (error) {
        stats.storeFailures++;
        log('warn', 'the store refused a batch; JetStream redelivers it', { events: events.length, error: (error as Error).message });
        throw error;
      }
      for (const event of events) {
        if (typeof event.id === 'string' && !recent.add(event.id)) {
          stats.repeats++;
          continue;
        }
        stats.events++;
        try {
          analyse(event);
        } catch (error) {
          log('warn', 'analysis failed on an event', { error: (error as Error).message });
        }
      }
    },
  });
  log('info', 'analyser consuming', { stream: nats.stream, durable: nats.durable, store: config.store.postgres ? 'postgres' : 'sqlite' });

  let closed: Promise<void> | null = null;
  return {
    config,
    store,
    discovery,
    detection,
    alerts,
    consumer,
    stats: () => ({ ...stats }),
    close() {
      closed ??= (async () => {
        await consumer.close();
        stopPublishing();
        await discovery?.close();
        await analysis.close();
        await channel.close();
        await limiter.close();
        await store.close();
      })();
      return closed;
    },
  };
}
