import type { ServerResponse } from 'node:http';
import { ApiwardenError } from '../errors.ts';
import type { BodyMeter } from './body-meter.ts';

/** A request in flight, as the sweeper sees it. */
export interface Watched {
  body: BodyMeter | null;
  res: ServerResponse;
  /** epoch ms since which the client has not drained the response; 0 = draining */
  stalledSince: number;
}

export interface SweeperOptions {
  intervalMs: number;
  /** bytes per second below which a body is cut, after a grace second; 0 disables */
  minBodyBytesPerSecond: number;
  slowReadTimeoutMs: number;
}

/** Grace before the body rate is judged: TCP slow start and a first small chunk are normal. */
const BODY_RATE_GRACE_MS = 1000;

/**
 * One timer for all requests, instead of one per request: it cuts bodies
 * that arrive too slowly and responses the client will not read (slow
 * read), within `intervalMs` of the limit.
 */
export function startSweeper(watched: ReadonlySet<Watched>, options: SweeperOptions): () => void {
  const timer = setInterval(() => {
    const now = Date.now();
    for (const w of watched) {
      const body = w.body;
      if (body && options.minBodyBytesPerSecond > 0 && !body.writableFinished) {
        const elapsed = now - body.startedAt;
        if (elapsed > BODY_RATE_GRACE_MS && (body.bytes * 1000) / elapsed < options.minBodyBytesPerSecond) {
          body.destroy(new ApiwardenError('REQUEST_TIMEOUT', 'request body slower than the minimum rate'));
        }
      }
      if (w.res.writableNeedDrain) {
        if (w.stalledSince === 0) w.stalledSince = now;
        else if (now - w.stalledSince > options.slowReadTimeoutMs) w.res.destroy();
      } else {
        w.stalledSince = 0;
      }
    }
  }, options.intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
