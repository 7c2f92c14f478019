/**
 * Alerts written to the store: every interval (and on close), the alerts
 * the manager holds, when anything changed. The store keeps the newest
 * state of each alert (by fingerprint), so several analysers saving what
 * each saw end with one row per alert in PostgreSQL, as one embedded
 * process does in SQLite.
 */
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
  let saving: Promise<void> | null = null;

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

  function save(): Promise<void> {
    // `.finally` on the promise, not inside the function: a write that
    // returns without awaiting would clear `saving` before it is assigned
    saving ??= write().finally(() => {
      saving = null;
    });
    return saving;
  }

  const timer = setInterval(() => void save(), everyMs);
  timer.unref();
  return {
    save,
    async stop() {
      clearInterval(timer);
      await saving;
      await save();
    },
  };
}
