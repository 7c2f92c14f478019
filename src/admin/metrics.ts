/**
 * Prometheus metrics (prom-client), fed from the event bus and read from the
 * runtime's parts when scraped. Label values are bounded: operations are
 * operationIds or templates, never raw paths, and past MAX_OPERATIONS
 * distinct values new ones are counted as "other"; rules and sinks come
 * from the policy.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { GatewayEvent } from '../events/types.ts';
import type { GatewayRuntime } from '../gateway/runtime.ts';

const MAX_OPERATIONS = 500;
const MAX_RULES = 100;

/** the value itself while fewer than `max` distinct values were seen, then 'other' for new ones */
function boundedLabel(max: number): (value: string) => string {
  const seen = new Set<string>();
  return (value) => {
    if (seen.has(value)) return value;
    if (seen.size >= max) return 'other';
    seen.add(value);
    return value;
  };
}

export interface AdminMetrics {
  readonly registry: Registry;
  observe(event: GatewayEvent): void;
  stop(): void;
}

const statusClass = (status: number): string => (status === 0 ? 'none' : `${Math.floor(status / 100)}xx`);

export function createAdminMetrics(runtime: GatewayRuntime): AdminMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'apiwarden_process_' });

  const requests = new Counter({
    name: 'apiwarden_requests_total',
    help: 'Requests by class (documented, shadow, zombie, unknown, rejected), operation, decision and status class.',
    labelNames: ['class', 'operation', 'decision', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'apiwarden_request_duration_seconds',
    help: 'Whole-request latency at the gateway, by class.',
    labelNames: ['class'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const upstream = new Histogram({
    name: 'apiwarden_upstream_duration_seconds',
    help: 'Upstream latency (request sent to response head), by upstream.',
    labelNames: ['upstream'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const limits = new Counter({
    name: 'apiwarden_limit_decisions_total',
    help: 'Rate-limit and ban outcomes that mattered for a request, by rule and action.',
    labelNames: ['rule', 'action'] as const,
    registers: [registry],
  });
  const storeLatency = new Histogram({
    name: 'apiwarden_limiter_store_duration_seconds',
    help: 'Limiter store calls (one per limited request), by whether a failure policy answered instead.',
    labelNames: ['degraded'] as const,
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
    registers: [registry],
  });
  const detections = new Counter({
    name: 'apiwarden_detection_decisions_total',
    help: 'Detection decisions by rule and action (alert, delay, block, ban).',
    labelNames: ['rule', 'action'] as const,
    registers: [registry],
  });

  const stats = (): ReturnType<GatewayRuntime['alerts']['stats']> => runtime.alerts.stats();
  new Gauge({
    name: 'apiwarden_alerts_firing', help: 'Alerts firing now.', registers: [registry],
    collect() {
      this.set(stats().firing);
    },
  });
  new Counter({
    name: 'apiwarden_alert_sink_failures_total', help: 'Alert notifications a sink gave up on (attempts exhausted, refused, or dropped from a full queue).',
    labelNames: ['sink'] as const, registers: [registry],
    collect() {
      this.reset();
      for (const s of stats().sinks) this.inc({ sink: s.name }, s.failed + s.dropped);
    },
  });
  new Counter({
    name: 'apiwarden_alert_notifications_total', help: 'Alert notifications delivered, by sink.',
    labelNames: ['sink'] as const, registers: [registry],
    collect() {
      this.reset();
      for (const s of stats().sinks) this.inc({ sink: s.name }, s.sent);
    },
  });
  new Gauge({
    name: 'apiwarden_bans_active', help: 'Bans and detection slowdowns in force on this instance.', labelNames: ['kind'] as const, registers: [registry],
    collect() {
      this.set({ kind: 'ban' }, runtime.limiter.bans.size);
      this.set({ kind: 'delay' }, runtime.limiter.slowdowns.size);
    },
  });
  new Counter({
    name: 'apiwarden_limiter_store_errors_total',
    help: 'Shared limiter store (Redis) calls that failed or timed out, and calls short-circuited by the open breaker.',
    labelNames: ['kind'] as const, registers: [registry],
    collect() {
      // only the Redis store behind its breaker keeps these (src/limiter/resilient-store.ts); memory never fails
      const store = runtime.limiter.store as { stats?: { failures: number; timeouts: number; shortCircuited: number } };
      this.reset();
      if (store.stats === undefined) return;
      this.inc({ kind: 'error' }, store.stats.failures);
      this.inc({ kind: 'timeout' }, store.stats.timeouts);
      this.inc({ kind: 'short_circuited' }, store.stats.shortCircuited);
    },
  });
  new Gauge({
    name: 'apiwarden_tarpit_held', help: 'Requests held in the tarpit now.', registers: [registry],
    collect() {
      this.set(runtime.limiter.tarpit.held);
    },
  });
  new Counter({
    name: 'apiwarden_events_dropped_total', help: 'Gateway events lost by a consumer (the store recorder, the access log).',
    labelNames: ['consumer'] as const, registers: [registry],
    collect() {
      this.reset();
      this.inc({ consumer: 'store' }, runtime.recorder.stats.dropped);
      this.inc({ consumer: 'access_log' }, runtime.accessLogStats.dropped);
    },
  });
  new Counter({
    name: 'apiwarden_bus_events_total', help: 'Events published to NATS JetStream (scale-out), by outcome: acked, spooled (to disk while NATS was away), drained (from the spool), dropped (past the spool bound).',
    labelNames: ['outcome'] as const, registers: [registry],
    collect() {
      this.reset();
      const p = runtime.publisher?.stats();
      if (!p) return;
      this.inc({ outcome: 'acked' }, p.acked);
      this.inc({ outcome: 'spooled' }, p.spooled);
      this.inc({ outcome: 'drained' }, p.drained);
      this.inc({ outcome: 'dropped' }, p.dropped);
    },
  });
  new Gauge({
    name: 'apiwarden_bus_spool_bytes', help: 'Bytes of events spooled on disk, waiting for NATS.', registers: [registry],
    collect() {
      this.set(runtime.publisher?.stats().spoolBytes ?? 0);
    },
  });
  new Gauge({
    name: 'apiwarden_inventory_endpoints', help: 'Endpoints held by the inline inventory.', registers: [registry],
    collect() {
      this.set(runtime.discovery ? runtime.discovery.inventory.stats().accumulators : 0);
    },
  });

  const operationLabel = boundedLabel(MAX_OPERATIONS);
  // ban reasons may be an operator's free text
  const ruleLabel = boundedLabel(MAX_RULES);

  runtime.limiter.storeTiming.observe = (ms, isDegraded) => storeLatency.observe({ degraded: isDegraded ? 'true' : 'false' }, ms / 1000);
  const unsubscribe = runtime.detection?.onDecision((d) => detections.inc({ rule: d.rule, action: d.action })) ?? (() => {});

  return {
    registry,
    observe(event) {
      requests.inc({ class: event.class, operation: operationLabel(event.operationId ?? event.template ?? 'unmatched'), decision: event.decision, status: statusClass(event.status) });
      duration.observe({ class: event.class }, event.latencyMs / 1000);
      if (event.upstreamLatencyMs !== null && event.upstream !== null) upstream.observe({ upstream: event.upstream }, event.upstreamLatencyMs / 1000);
      if (event.limit !== null) limits.inc({ rule: ruleLabel(event.limit.rule), action: event.limit.action });
    },
    stop() {
      runtime.limiter.storeTiming.observe = null;
      unsubscribe();
    },
  };
}
