/**
 * What watches the traffic besides serving it: the alert manager (with its
 * ticker and, where this process owns the alerts, their persistence),
 * behaviour detection, and the inventory's findings raised as alerts. An
 * embedded gateway runs it on its own events; an analyser on the events
 * of every gateway (src/analyser); a scale-out gateway only for its
 * console's alert list.
 */
import { dirname } from 'node:path';
import type pino from 'pino';
import { alertManagerOptionsOf, createAlertManager, startAlertTicker, type AlertManager } from '../alerts/index.ts';
import { startAlertPersistence } from '../alerts/persist.ts';
import type { PolicyConfig } from '../config/types.ts';
import { startFindingAlerts } from '../discovery/finding-alerts.ts';
import type { DiscoveryRuntime } from '../discovery/runtime.ts';
import { loadRules } from '../detect/rules.ts';
import { createDetectionRuntime, type DetectionRuntime } from '../detect/runtime.ts';
import type { LimiterRuntime } from '../limiter/runtime.ts';
import type { Store } from '../store/types.ts';

type Log = (level: 'info' | 'warn' | 'error', message: string, detail?: Record<string, unknown>) => void;

export interface Analysis {
  readonly alerts: AlertManager;
  /** null when detection is off (or left to the analysers) */
  readonly detection: DetectionRuntime | null;
  /** stops the timers, saves the alerts a last time, closes the sinks */
  close(): Promise<void>;
}

export interface AnalysisOptions {
  logger: pino.Logger;
  log: Log;
  clock: () => number;
  limiter: LimiterRuntime;
  discovery: DiscoveryRuntime | null;
  /** run the detection rules here */
  detect: boolean;
  /** the store this process keeps its alerts in; null: another process does */
  alertStore: Store | null;
}

export async function startAnalysis(config: PolicyConfig, options: AnalysisOptions): Promise<Analysis> {
  const { logger, log, clock, limiter, discovery } = options;
  const alerts = createAlertManager({ ...alertManagerOptionsOf(config.alerts, { logger, baseDir: config.source === '<inline>' ? process.cwd() : dirname(config.source) }), clock });
  const ticker = startAlertTicker(alerts);
  const persistence = options.alertStore ? startAlertPersistence(alerts, options.alertStore, config.discovery.saveIntervalMs, log) : null;
  const detection = options.detect && config.detection.enabled
    ? createDetectionRuntime({
      rules: await loadRules(config.detection.ruleFiles, { builtins: config.detection.builtins }),
      // monitor mode reports and alerts, never refuses
      isDryRun: config.mode === 'monitor',
      maxIdentities: config.detection.maxIdentities,
      evaluateEveryMs: config.detection.evaluateEveryMs,
      limiter,
      alerts,
      templater: discovery?.inventory.templater ?? null,
      logins: config.detection.logins,
      autoLogins: config.detection.autoLogins,
      clock,
      log,
    })
    : null;
  // the inventory's exposures and answering shadow or zombie endpoints, as alerts (the documents of the start-up policy)
  const findingAlerts = discovery
    ? startFindingAlerts({
      inventory: discovery.inventory,
      alerts,
      documents: [...new Set(config.upstreams.flatMap((u) => u.openapi))],
      retiredPrefixes: [...new Set(config.upstreams.flatMap((u) => u.retired.map((r) => r.prefix)))],
      everyMs: config.discovery.saveIntervalMs,
      log,
    })
    : null;
  return {
    alerts,
    detection,
    async close() {
      await detection?.close();
      findingAlerts?.stop();
      ticker.stop();
      await persistence?.stop();
      await alerts.close();
    },
  };
}
