/**
 * Requests per minute for the console's charts: the whole gateway's last
 * hour by class and by decision, and each endpoint's last hour (count and
 * errors). Rings of 60 minutes; the per-endpoint series are capped in
 * number (the least recently used endpoint gives its slot up), so memory is
 * bounded whatever the traffic: about 0.5 KB per endpoint tracked.
 */
const MINUTES = 60;
const MINUTE_MS = 60_000;

export interface TrafficPoint {
  minute: number;
  total: number;
  byClass: Record<string, number>;
  byDecision: Record<string, number>;
}

export interface EndpointPoint {
  minute: number;
  count: number;
  errors: number;
}

interface Slot {
  minute: number;
  total: number;
  byClass: Map<string, number>;
  byDecision: Map<string, number>;
}

interface EndpointRing {
  minutes: Float64Array;
  counts: Uint32Array;
  errors: Uint32Array;
}

export interface TrafficSeries {
  add(time: number, cls: string, decision: string, endpointId: string | null, isError: boolean): void;
  /** the last `minutes` minutes up to `now`, oldest first, empty minutes included */
  points(now: number, minutes?: number): TrafficPoint[];
  endpoint(id: string, now: number, minutes?: number): EndpointPoint[];
  /** totals since start */
  readonly totals: { total: number; byClass: Record<string, number>; byDecision: Record<string, number> };
}

export function createTrafficSeries(options: { maxEndpoints?: number } = {}): TrafficSeries {
  const maxEndpoints = options.maxEndpoints ?? 10_000;
  const slots: Slot[] = Array.from({ length: MINUTES }, () => ({ minute: -1, total: 0, byClass: new Map(), byDecision: new Map() }));
  const endpoints = new Map<string, EndpointRing>();
  const totals = { total: 0, byClass: {} as Record<string, number>, byDecision: {} as Record<string, number> };

  const bump = (m: Map<string, number>, key: string): void => {
    m.set(key, (m.get(key) ?? 0) + 1);
  };

  return {
    totals,
    add(time, cls, decision, endpointId, isError) {
      const minute = Math.floor(time / MINUTE_MS) * MINUTE_MS;
      const slot = slots[(minute / MINUTE_MS) % MINUTES]!;
      if (slot.minute !== minute) {
        // a later minute reuses the slot; a request of a minute already overwritten (clock skew) counts in totals only
        if (slot.minute > minute) return;
        slot.minute = minute;
        slot.total = 0;
        slot.byClass.clear();
        slot.byDecision.clear();
      }
      slot.total++;
      bump(slot.byClass, cls);
      bump(slot.byDecision, decision);
      totals.total++;
      totals.byClass[cls] = (totals.byClass[cls] ?? 0) + 1;
      totals.byDecision[decision] = (totals.byDecision[decision] ?? 0) + 1;
      if (endpointId === null) return;
      let ring = endpoints.get(endpointId);
      if (ring === undefined) {
        if (endpoints.size >= maxEndpoints) endpoints.delete(endpoints.keys().next().value!);
        ring = { minutes: new Float64Array(MINUTES).fill(-1), counts: new Uint32Array(MINUTES), errors: new Uint32Array(MINUTES) };
      } else {
        // least recently used first in iteration order
        endpoints.delete(endpointId);
      }
      endpoints.set(endpointId, ring);
      const i = (minute / MINUTE_MS) % MINUTES;
      if (ring.minutes[i] !== minute) {
        if (ring.minutes[i]! > minute) return;
        ring.minutes[i] = minute;
        ring.counts[i] = 0;
        ring.errors[i] = 0;
      }
      ring.counts[i]!++;
      if (isError) ring.errors[i]!++;
    },
    points(now, minutes = MINUTES) {
      const last = Math.floor(now / MINUTE_MS) * MINUTE_MS;
      const out: TrafficPoint[] = [];
      for (let k = Math.min(minutes, MINUTES) - 1; k >= 0; k--) {
        const minute = last - k * MINUTE_MS;
        const slot = slots[(minute / MINUTE_MS) % MINUTES]!;
        const isCurrent = slot.minute === minute;
        out.push({
          minute,
          total: isCurrent ? slot.total : 0,
          byClass: isCurrent ? Object.fromEntries(slot.byClass) : {},
          byDecision: isCurrent ? Object.fromEntries(slot.byDecision) : {},
        });
      }
      return out;
    },
    endpoint(id, now, minutes = MINUTES) {
      const ring = endpoints.get(id);
      const last = Math.floor(now / MINUTE_MS) * MINUTE_MS;
      const out: EndpointPoint[] = [];
      for (let k = Math.min(minutes, MINUTES) - 1; k >= 0; k--) {
        const minute = last - k * MINUTE_MS;
        const i = (minute / MINUTE_MS) % MINUTES;
        const isCurrent = ring !== undefined && ring.minutes[i] === minute;
        out.push({ minute, count: isCurrent ? ring.counts[i]! : 0, errors: isCurrent ? ring.errors[i]! : 0 });
      }
      return out;
    },
  };
}
