/**
 * Alerts written to the store: every interval (and on close), the alerts
 * the manager holds, when anything changed. The store keeps the newest
 * state of each alert (by fingerprint), so several analysers saving what
 * each saw end with one row per alert in PostgreSQL, as one embedded
 * process does in SQLite.
 */
import { singleFlight } from '../single-flight.ts';
import type { Store } from '../store/types.ts';
import type { AlertManager } from './lifecycle.ts';

type Log = (level: 'info' | 'warn' | 'error', message: string, detail?: Record<string, unknown>) => void;

export interface AlertPersistence {
  save(): Promise<void>;
  /** stops the timer after a last save */
  stop(): Promise<void>;
}

export function startAlertPersistence(alerts: Pick<AlertManager, 'list'>, store: Pick<Store, 'saveAlerts'>, everyMs: number, log: Log): AlertPersistence {
  let lastVersion = '';

  async function write(): Promise<void> {
    try {
      const list = alerts.list();
      const version = list.map((a) => `${a.fingerprint}:${a.status}:${a.lastSeenAt}:${a.count}:${a.acknowledgedAt ?? ''}`).join('|');
      if (version === lastVersion) return;
      await store.saveAlerts(list);
      lastVersion = version;
    } catch (error) {
      log('warn', 'alerts could not be saved to the store; the next interval retries', { error: (error as Error).message });
    }
  }

  const save = singleFlight(write);

  const timer = setInterval(() => void save(), everyMs);
  timer.unref();
  return {
    save,
    async stop() {
      clearInterval(timer);
      // waits for a save in progress, then saves what came since
      await save();
      await save();
    },
  };
}
