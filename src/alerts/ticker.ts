/**
 * The production driver of `AlertManager.tick`. Tests and replays call tick
 * with a simulated time instead, so the lifecycle itself never owns a timer.
 */
import type { AlertManager } from './lifecycle.ts';

export interface AlertTicker {
  stop(): void;
}

/** Ticks every `intervalMs` (default 1 s: the resolution of group waits, repeats and resolves). */
export function startAlertTicker(manager: Pick<AlertManager, 'tick'>, intervalMs = 1000): AlertTicker {
  const timer = setInterval(() => manager.tick(), intervalMs);
  // the ticker alone must not keep a process alive that has nothing else to do
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
