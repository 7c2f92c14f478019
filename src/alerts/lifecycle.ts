/**
 * The alert lifecycle: signals become alerts (one per rule + groupBy
 * labels), alerts become notifications, notifications go to the sinks.
 *
 *   signal ─▶ new alert ──(group wait)──▶ 'firing'
 *                │ same fingerprint: count, severity (max), evidence (latest); no notification
 *                ├─ still firing after repeatIntervalMs ─▶ 'repeat'
 *                ├─ acknowledge(fp, by) ─▶ 'acknowledged'
 *                └─ no signal for resolveAfterMs, or resolve(fp, by) ─▶ 'resolved'
 *
 * Time moves only through `signal()` (its time) and `tick(now)`: a timer
 * drives tick in production (ticker.ts), a simulated clock in tests and
 * replays, so every test is exact and instant. Every notification passes the
 * storm throttle, then is queued to each sink's delivery; nothing here waits
 * for a receiver, and nothing here throws at the caller.
 *
 * Not a hot path: signals come once per rule evaluation (seconds apart per
 * rule and identity), never once per request, so each is copied, bounded and
 * frozen for safety rather than speed.
 *
 * An acknowledged alert keeps its repeats: the attack is still going on, and
 * receivers that expire alerts on their own (Alertmanager) need them.
 */
import { randomUUID } from 'node:crypto';
import { createDelivery, type Delivery, type DeliveryOptions, type SinkStats } from './delivery.ts';
import { fingerprintOf, groupLabelsOf } from './fingerprint.ts';
import { createStderrLogger, safeLog } from './logger.ts';
import { isAtLeast, maxSeverity, severityRank } from './severity.ts';
import { checkSignal } from './signal.ts';
import { createStormThrottle } from './storm-throttle.ts';
import type {
  Alert, AlertLogger, AlertNotification, AlertNotificationKind, AlertSignal, AlertStatus, Notification,
  NotificationKind, Severity, Sink,
} from './types.ts';

/** A sink with what it should receive. */
export interface SinkRoute {
  sink: Sink;
  /** only notifications of this severity or higher (default: all) */
  minSeverity?: Severity;
  /** only these kinds (default: every kind the sink supports) */
  kinds?: readonly NotificationKind[];
  /** overrides the manager's delivery options for this sink */
  delivery?: DeliveryOptions;
}

export interface AlertManagerOptions {
  /** default Date.now */
  clock?: () => number;
  /** no signal for this long → resolved (default 5 min) */
  resolveAfterMs?: number;
  /** a firing alert is notified again at most this often (default 1 h) */
  repeatIntervalMs?: number;
  /** label names; signals with the same rule and these labels are one alert (default none: one alert per rule) */
  groupBy?: readonly string[];
  /** the first notification of a new alert waits this long to collect its next signals (default 10 s; 0 = at once) */
  groupWaitMs?: number;
  /** storm throttle across all alerts; past it, one digest per minute (default 30) */
  maxNotificationsPerMinute?: number;
  /** firing alerts held at most; signals that would open more are counted as overflow (default 10 000) */
  maxFiring?: number;
  /** resolved alerts kept for list() (default 1000) */
  maxResolvedKept?: number;
  sinks?: readonly (Sink | SinkRoute)[];
  /** delivery defaults for every sink */
  delivery?: DeliveryOptions;
  logger?: AlertLogger;
}

export interface AlertManagerStats {
  signals: number;
  /** signals refused (no rule, unknown severity) */
  invalidSignals: number;
  /** signals for a new alert refused because maxFiring alerts were firing */
  overflow: number;
  firing: number;
  resolvedKept: number;
  /** notifications that passed the throttle, by kind */
  notifications: Record<NotificationKind, number>;
  /** notifications the storm throttle withheld (each digest reports its share) */
  suppressed: number;
  sinks: SinkStats[];
}

export interface AlertManager {
  /** Takes one signal. Returns at once; never throws. */
  signal(signal: AlertSignal): void;
  /** Advances to `now` (default: the clock): flushes group waits, resolves stale alerts, sends repeats and digests. */
  tick(now?: number): void;
  /** Marks a firing alert acknowledged and tells the sinks; undefined when no such alert is firing. */
  acknowledge(fingerprint: string, by: string): Alert | undefined;
  /** Resolves a firing alert by hand; undefined when no such alert is firing. */
  resolve(fingerprint: string, by: string): Alert | undefined;
  get(fingerprint: string): Alert | undefined;
  /** Firing alerts by severity then newest, and/or resolved ones newest first. */
  list(filter?: { status?: AlertStatus }): Alert[];
  stats(): AlertManagerStats;
  /** Resolves when every sink's queue is empty. */
  drain(): Promise<void>;
  /** Stops delivery (what is queued is dropped and counted) and closes the sinks. */
  close(): Promise<void>;
}

interface Entry {
  alert: Alert;
  /** when the first notification is due; null once sent (or suppressed) */
  firstDueAt: number | null;
  lastNotifiedAt: number;
}

interface Route {
  delivery: Delivery;
  minSeverity: Severity;
  kinds: ReadonlySet<NotificationKind>;
}

const DEFAULTS = {
  resolveAfterMs: 5 * 60_000,
  repeatIntervalMs: 60 * 60_000,
  groupWaitMs: 10_000,
  maxNotificationsPerMinute: 30,
  maxFiring: 10_000,
  maxResolvedKept: 1000,
} as const;

function isRoute(s: Sink | SinkRoute): s is SinkRoute {
  return 'sink' in s;
}

function snapshot(alert: Alert): Alert {
  // labels and evidence are frozen by checkSignal and replaced, never changed, so a shallow copy is a snapshot
  return Object.freeze({ ...alert });
}

function who(by: string): string {
  return String(by).replace(/[\r\n]+/g, ' ').slice(0, 200);
}

export function createAlertManager(options: AlertManagerOptions = {}): AlertManager {
  const clock = options.clock ?? Date.now;
  const o = {
    resolveAfterMs: options.resolveAfterMs ?? DEFAULTS.resolveAfterMs,
    repeatIntervalMs: options.repeatIntervalMs ?? DEFAULTS.repeatIntervalMs,
    groupWaitMs: options.groupWaitMs ?? DEFAULTS.groupWaitMs,
    maxFiring: options.maxFiring ?? DEFAULTS.maxFiring,
    maxResolvedKept: options.maxResolvedKept ?? DEFAULTS.maxResolvedKept,
  };
  const groupBy = [...(options.groupBy ?? [])];
  const logger = options.logger ?? createStderrLogger();
  const throttle = createStormThrottle(options.maxNotificationsPerMinute ?? DEFAULTS.maxNotificationsPerMinute);

  const routes: Route[] = (options.sinks ?? []).map((s) => {
    const r = isRoute(s) ? s : { sink: s };
    const supported = r.sink.kinds ?? ['firing', 'repeat', 'resolved', 'acknowledged', 'digest'];
    return {
      delivery: createDelivery(r.sink, { logger, ...options.delivery, ...r.delivery }),
      minSeverity: r.minSeverity ?? 'info',
      kinds: new Set(supported.filter((k) => !r.kinds || r.kinds.includes(k))),
    };
  });

  const firing = new Map<string, Entry>();
  const resolved: Alert[] = [];
  const counts = {
    signals: 0,
    invalidSignals: 0,
    overflow: 0,
    suppressed: 0,
    notifications: { firing: 0, repeat: 0, resolved: 0, acknowledged: 0, digest: 0 } as Record<NotificationKind, number>,
  };

  function dispatch(n: Notification): void {
    counts.notifications[n.kind]++;
    const severity = n.kind === 'digest' ? n.severity : n.alert.severity;
    for (const r of routes) {
      if (r.kinds.has(n.kind) && isAtLeast(severity, r.minSeverity)) r.delivery.enqueue(n);
    }
  }

  /** The digest of a storm window that has ended, before anything newer. */
  function flushDigest(now: number): void {
    const closed = throttle.rollover(now);
    if (closed) dispatch({ id: randomUUID(), kind: 'digest', time: now, ...closed });
  }

  function notify(kind: AlertNotificationKind, entry: Entry, now: number): void {
    flushDigest(now);
    entry.lastNotifiedAt = now;
    const { alert } = entry;
    if (!throttle.admit(now, alert.rule, alert.severity)) {
      counts.suppressed++;
      return;
    }
    const n: AlertNotification = {
      id: randomUUID(),
      kind,
      time: now,
      alert: snapshot(alert),
      // one repeat of slack: a repeat lost to the throttle or a failed delivery does not expire the alert downstream
      validUntil: kind === 'resolved' ? null : now + 2 * o.repeatIntervalMs,
    };
    dispatch(n);
  }

  function finish(entry: Entry, now: number, by: string | null): Alert {
    firing.delete(entry.alert.fingerprint);
    const alert = entry.alert;
    alert.status = 'resolved';
    alert.endsAt = now;
    alert.resolvedBy = by;
    resolved.push(alert);
    if (resolved.length > o.maxResolvedKept) resolved.shift();
    // An alert resolved before its first notification was never told to anyone: its resolution is not news either.
    if (entry.firstDueAt === null) notify('resolved', entry, now);
    return snapshot(alert);
  }

  return {
    signal(raw) {
      try {
        const now = clock();
        counts.signals++;
        const checked = checkSignal(raw, now);
        if (!checked.ok) {
          counts.invalidSignals++;
          safeLog(logger, 'warn', { reason: checked.reason }, 'alert signal refused');
          return;
        }
        const s = checked.signal;
        const groupLabels = groupLabelsOf(s.labels, groupBy);
        const fingerprint = fingerprintOf(s.rule, groupLabels);
        const entry = firing.get(fingerprint);
        if (entry) {
          // dedup: same fingerprint while firing → update, never a notification (repeats come from tick)
          const a = entry.alert;
          a.count++;
          a.lastSeenAt = Math.max(a.lastSeenAt, s.time);
          a.severity = maxSeverity(a.severity, s.severity);
          a.summary = s.summary;
          a.labels = s.labels;
          a.evidence = s.evidence;
          return;
        }
        if (firing.size >= o.maxFiring) {
          counts.overflow++;
          if (counts.overflow === 1 || counts.overflow % 1000 === 0) {
            safeLog(logger, 'error', { rule: s.rule, overflow: counts.overflow, maxFiring: o.maxFiring }, 'too many firing alerts; signals for new alerts are dropped');
          }
          return;
        }
        const created: Entry = {
          alert: {
            fingerprint,
            rule: s.rule,
            status: 'firing',
            severity: s.severity,
            summary: s.summary,
            groupLabels: Object.freeze(groupLabels),
            labels: s.labels,
            startsAt: s.time,
            lastSeenAt: s.time,
            endsAt: null,
            count: 1,
            acknowledgedAt: null,
            acknowledgedBy: null,
            resolvedBy: null,
            evidence: s.evidence,
          },
          firstDueAt: now + o.groupWaitMs,
          lastNotifiedAt: now,
        };
        firing.set(fingerprint, created);
        if (o.groupWaitMs <= 0) {
          created.firstDueAt = null;
          notify('firing', created, now);
        }
      } catch (err) {
        // a bug here must not reach detection
        safeLog(logger, 'error', { error: err instanceof Error ? err.message : String(err) }, 'alert signal failed');
      }
    },

    tick(now = clock()) {
      try {
        flushDigest(now);
        for (const entry of [...firing.values()]) {
          if (entry.firstDueAt !== null && now >= entry.firstDueAt) {
            entry.firstDueAt = null;
            notify('firing', entry, now);
          }
          if (now - entry.alert.lastSeenAt >= o.resolveAfterMs) finish(entry, now, null);
          else if (entry.firstDueAt === null && now - entry.lastNotifiedAt >= o.repeatIntervalMs) notify('repeat', entry, now);
        }
      } catch (err) {
        safeLog(logger, 'error', { error: err instanceof Error ? err.message : String(err) }, 'alert tick failed');
      }
    },

    acknowledge(fingerprint, by) {
      const entry = firing.get(fingerprint);
      if (!entry) return undefined;
      if (entry.alert.acknowledgedAt === null) {
        const now = clock();
        entry.alert.acknowledgedAt = now;
        entry.alert.acknowledgedBy = who(by);
        // before the first notification there is nobody to tell; 'firing' will carry the acknowledgement
        if (entry.firstDueAt === null) notify('acknowledged', entry, now);
      }
      return snapshot(entry.alert);
    },

    resolve(fingerprint, by) {
      const entry = firing.get(fingerprint);
      return entry ? finish(entry, clock(), who(by)) : undefined;
    },

    get(fingerprint) {
      const entry = firing.get(fingerprint);
      if (entry) return snapshot(entry.alert);
      for (let i = resolved.length - 1; i >= 0; i--) if (resolved[i]!.fingerprint === fingerprint) return snapshot(resolved[i]!);
      return undefined;
    },

    list(filter = {}) {
      const out: Alert[] = [];
      if (filter.status !== 'resolved') {
        const active = [...firing.values()].map((e) => e.alert);
        active.sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || b.startsAt - a.startsAt);
        out.push(...active.map(snapshot));
      }
      if (filter.status !== 'firing') out.push(...resolved.slice().reverse().map(snapshot));
      return out;
    },

    stats() {
      return {
        signals: counts.signals,
        invalidSignals: counts.invalidSignals,
        overflow: counts.overflow,
        firing: firing.size,
        resolvedKept: resolved.length,
        notifications: { ...counts.notifications },
        suppressed: counts.suppressed,
        sinks: routes.map((r) => r.delivery.stats()),
      };
    },

    async drain() {
      await Promise.all(routes.map((r) => r.delivery.drain()));
    },

    async close() {
      await Promise.all(routes.map((r) => r.delivery.close()));
    },
  };
}
