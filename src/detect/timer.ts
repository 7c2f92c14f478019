/**
 * Runs a detector's rules on a timer (live traffic). Simulations and log
 * replays call evaluate(now) themselves with the events' clock instead.
 */
import type { Detector } from './engine.ts';
import type { EvaluationResult } from './types.ts';

export interface DetectorTimerOptions {
  /** how often rules run, ms (default 5,000) */
  everyMs?: number;
  /** called with every evaluation that decided or signalled something */
  onResult: (result: EvaluationResult) => void;
  /** called when evaluate or onResult throws (default: rethrown on the next tick, which crashes loudly) */
  onError?: (err: unknown) => void;
}

/** Starts evaluating; returns a function that stops it. The timer does not keep the process alive. */
export function startDetectorTimer(detector: Detector, options: DetectorTimerOptions): () => void {
  const timer = setInterval(() => {
    try {
      const result = detector.evaluate();
      if (result.decisions.length > 0 || result.signals.length > 0) options.onResult(result);
    } catch (err) {
      if (options.onError) options.onError(err);
      else throw err;
    }
  }, options.everyMs ?? 5000);
  timer.unref();
  return () => clearInterval(timer);
}
