import { watch, type FSWatcher } from 'node:fs';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { startAdminServer, type AdminServer } from '../admin/server.ts';
import { loadPolicy } from '../config/load.ts';
import type { PolicyConfig } from '../config/types.ts';
import { createAccessLog } from '../events/access-log.ts';
import { createEventBus, type EventBus } from '../events/bus.ts';
import type { AlertManager } from '../alerts/index.ts';
import type { DetectionRuntime } from '../detect/runtime.ts';
import { createDiscoveryRuntime, type DiscoveryRuntime } from '../discovery/runtime.ts';
import { createEventRecorder, type EventRecorder } from '../store/recorder.ts';
import { openStore } from '../store/open.ts';
import { startAnalysis } from '../analysis/analysis.ts';
import { startScaleOut } from './scale-out.ts';
import type { NatsPublisher } from '../bus/nats-publisher.ts';
import { createEventEnricher } from './event-enricher.ts';
import type { Store } from '../store/types.ts';
import { createLimiterRuntime, type LimiterRuntime } from '../limiter/runtime.ts';
import { createSqliteApiKeyStore, type ApiKeyStore } from '../auth/api-key-store.ts';
import type { AuthServices } from '../auth/plan.ts';
import { createGateway, type Gateway } from './gateway.ts';
import { loadGatewayPlan } from './plan.ts';

export interface RuntimeOptions {
  /** watch the policy file and documents and reload on change (SIGHUP always reloads) */
  watchFiles?: boolean;
  /** install SIGHUP/SIGTERM/SIGINT handlers */
  handleSignals?: boolean;
  /** operational log destination; default stderr */
  logger?: pino.Logger;
  /**
   * epoch ms for request times, limits, bans, detection and alerts; default
   * Date.now. The scenario bench passes a faster clock (bench/scenarios).
   */
  clock?: () => number;
  /** start the admin listener when the policy has an `admin` section (default true; cluster workers but the first say false) */
  admin?: boolean;
}

export interface ReloadResult {
  ok: boolean;
  error?: string;
}

/** The gateway with everything around it: the bus, the store, the access log, reloads and shutdown. */
export interface GatewayRuntime {
  readonly gateway: Gateway;
  readonly bus: EventBus;
  readonly store: Store;
  readonly limiter: LimiterRuntime;
  /** the API key store the apiKey schemes check (same database as the inventory) */
  readonly apiKeys: ApiKeyStore;
  readonly recorder: EventRecorder;
  /** the endpoint inventory and its saving (null when discovery.enabled is false) */
  readonly discovery: DiscoveryRuntime | null;
  /** behaviour detection (null when detection.enabled is false) */
  readonly detection: DetectionRuntime | null;
  /** scale-out (bus.nats): the event publisher and its spool, else null */
  readonly publisher: NatsPublisher | null;
  /** the admin listener (console API, metrics, dashboard), when the policy has one */
  readonly admin: AdminServer | null;
  /** the access log's written and dropped lines */
  readonly accessLogStats: { readonly written: number; readonly dropped: number };
  /** the alerts raised, their lifecycle and sinks */
  readonly alerts: AlertManager;
  readonly addresses: readonly AddressInfo[];
  readonly config: PolicyConfig;
  reload(): Promise<ReloadResult>;
  close(graceMs?: number): Promise<void>;
}

function limiterSettings(config: PolicyConfig): string {
  const { store, redis, maxKeys, tarpit } = config.rateLimits;
  return JSON.stringify({ store, redis, maxKeys, tarpit });
}

export function createOperationalLogger(): pino.Logger {
  return pino({ base: null, level: process.env.APIWARDEN_LOG_LEVEL ?? 'info' }, pino.destination(2));
}

/**
 * Start a gateway from a policy file (or an already loaded policy, whose
 * `source` is then used for reloads).
 */
export async function startGatewayRuntime(policy: string | PolicyConfig, options: RuntimeOptions = {}): Promise<GatewayRuntime> {
  const logger = options.logger ?? createOperationalLogger();
  let config = typeof policy === 'string' ? await loadPolicy(policy) : policy;
  // API keys live in the same database file as the inventory (their own table)
  const apiKeys = createSqliteApiKeyStore(config.store.sqlite);
  const services: AuthServices = { apiKeys };
  const plan = await loadGatewayPlan(config, services);
  for (const w of plan.warnings) logger.warn(w);

  const bus = createEventBus((error) => logger.error({ err: error }, 'event subscriber failed'));
  const store = await openStore(config.store, { applicationName: 'apiwarden-gateway', onBackgroundError: (error) => logger.warn({ err: error }, 'store background task failed') });
  const recorder = createEventRecorder(store, {
    flushIntervalMs: config.store.flushIntervalMs,
    // a store failure never fails a request: it is logged here and counted in recorder.stats
    onError: (error) => logger.error({ err: error }, 'store write failed; events of this batch were dropped'),
  });
  // scale-out: the analysers record, discover and detect from the published events
  const nats = config.bus.nats;
  if (nats === null) bus.subscribe(recorder.listener);
  const accessLog = createAccessLog(config.accessLog.target, {
    onError: (error) => logger.error({ err: error }, 'access log write failed'),
  });
  bus.subscribe(accessLog.listener);

  const log = (level: 'info' | 'warn' | 'error', message: string, detail?: Record<string, unknown>): void => logger[level](detail ?? {}, message);
  const limiter = await createLimiterRuntime(config.rateLimits, log);
  const discovery = config.discovery.enabled && nats === null ? await createDiscoveryRuntime(config.discovery, store, log) : null;
  const clock = options.clock ?? Date.now;
  // embedded: detection here, and this process keeps its alerts in its store (scale-out: the analysers do both)
  const analysis = await startAnalysis(config, { logger, log, clock, limiter, discovery, detect: nats === null, alertStore: nats === null ? store : null });
  const { alerts, detection } = analysis;
  const scaleOut = nats !== null ? await startScaleOut(nats, config, bus, limiter, log) : null;
  const gateway = createGateway({
    plan, bus, log, limiter, clock,
    ...(discovery ? { discovery: discovery.tap } : {}),
    ...(detection ? { detection: detection.tap } : {}),
    ...(scaleOut ? { enrich: createEventEnricher(config.detection.logins, config.detection.autoLogins) } : {}),
  });
  const addresses = await gateway.listen();

  let reloading: Promise<ReloadResult> | null = null;
  async function reload(): Promise<ReloadResult> {
    if (config.source === '<inline>') return { ok: false, error: 'policy was not loaded from a file' };
    // one reload at a time; a burst of file events is served by the running one
    reloading ??= (async () => {
      try {
        const next = await loadPolicy(config.source);
        const nextPlan = await loadGatewayPlan(next, services);
        await gateway.swapPlan(nextPlan);
        if (next.store.sqlite !== config.store.sqlite || next.accessLog.target !== config.accessLog.target) {
          logger.warn('store and access log changes take effect after a restart');
        }
        if (limiterSettings(next) !== limiterSettings(config)) {
          logger.warn('rateLimits store, redis, maxKeys and tarpit changes take effect after a restart; rules are reloaded');
        }
        config = next;
        for (const w of nextPlan.warnings) logger.warn(w);
        logger.info({ upstreams: next.upstreams.map((u) => u.name) }, 'configuration reloaded');
        rewatch();
        return { ok: true };
      } catch (error) {
        // the old plan keeps serving
        logger.error({ err: error }, 'reload refused: the running configuration stays in force');
        return { ok: false, error: error instanceof Error ? error.message : String(error) };
      } finally {
        reloading = null;
      }
    })();
    return reloading;
  }

  let watchers: FSWatcher[] = [];
  let debounce: NodeJS.Timeout | undefined;
  function rewatch(): void {
    for (const w of watchers) w.close();
    watchers = [];
    if (!options.watchFiles || config.source === '<inline>') return;
    const files = new Set([config.source, ...config.upstreams.flatMap((u) => u.openapi)]);
    for (const file of files) {
      try {
        const watcher = watch(file, () => {
          clearTimeout(debounce);
          // editors write in several steps; wait for the file to settle
          debounce = setTimeout(() => void reload(), 200);
        });
        watcher.unref();
        watchers.push(watcher);
      } catch (error) {
        logger.warn({ err: error, file }, 'cannot watch file; reload with SIGHUP');
      }
    }
  }
  rewatch();

  // SIGHUP: reopen the access log (after rotation) and reload the policy
  const onHup = (): void => {
    accessLog.reopen();
    void reload();
  };
  let closed: Promise<void> | null = null;
  const onStop = (signal: string): void => {
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    void close().then(() => process.exit(0));
  };
  if (options.handleSignals) {
    process.on('SIGHUP', onHup);
    // `on`, not `once`: a process-group SIGTERM reaches a cluster worker twice
    // (directly and forwarded by the primary); close() is idempotent
    process.on('SIGTERM', onStop);
    process.on('SIGINT', onStop);
  }

  async function close(graceMs = 10_000): Promise<void> {
    closed ??= (async () => {
      clearTimeout(debounce);
      for (const w of watchers) w.close();
      process.off('SIGHUP', onHup);
      await admin?.close();
      // after the gateway: its last events are published (or spooled) before the publisher closes
      limiter.tarpit.releaseAll();
      await gateway.close(graceMs);
      await scaleOut?.close();
      await limiter.close();
      await apiKeys.close();
      await recorder.close();
      await discovery?.close();
      await analysis.close();
      await store.close();
      await accessLog.close();
    })();
    return closed;
  }

  logger.info({ listeners: addresses.map((a) => `${a.address}:${a.port}`), mode: config.mode }, 'gateway listening');
  const runtime: GatewayRuntime = {
    gateway,
    bus,
    store,
    limiter,
    apiKeys,
    recorder,
    discovery,
    detection,
    alerts,
    addresses,
    accessLogStats: accessLog.stats,
    publisher: scaleOut?.publisher ?? null,
    get config() {
      return config;
    },
    reload,
    close,
    get admin() {
      return admin;
    },
  };
  // the console: on its own listener, started once the gateway it shows is up
  let admin: AdminServer | null = null;
  if (config.admin !== null && options.admin !== false) {
    try {
      admin = await startAdminServer(runtime, config.admin, log, clock);
    } catch (error) {
      await close(0);
      throw error;
    }
  }
  return runtime;
}
