/**
 * Top talkers for the console: per client address, requests, misses (404),
 * bytes sent, refusals (limits, bans, access control) and delays. Bounded:
 * past `max` addresses the least recently seen tenth is dropped, so a flood
 * of one-request addresses cannot grow memory; a dropped address that comes
 * back starts again from zero.
 */
export interface ClientStats {
  ip: string;
  requests: number;
  misses: number;
  bytesOut: number;
  refused: number;
  delayed: number;
  firstSeen: number;
  lastSeen: number;
  lastDecision: string | null;
}

export type ClientSort = 'requests' | 'misses' | 'bytesOut' | 'refused';

export interface ClientTable {
  add(ip: string, time: number, status: number, bytesOut: number, decision: string, isDelayed: boolean): void;
  top(sort: ClientSort): ClientStats[];
  get(ip: string): ClientStats | undefined;
  readonly size: number;
}

const REFUSALS = new Set(['limited', 'banned', 'denied', 'blocked']);

export function createClientTable(max = 10_000): ClientTable {
  const byIp = new Map<string, ClientStats>();

  function trim(): void {
    const oldest = [...byIp.values()].sort((a, b) => a.lastSeen - b.lastSeen).slice(0, Math.ceil(max / 10));
    for (const c of oldest) byIp.delete(c.ip);
  }

  return {
    get size() {
      return byIp.size;
    },
    add(ip, time, status, bytesOut, decision, isDelayed) {
      let c = byIp.get(ip);
      if (c === undefined) {
        if (byIp.size >= max) trim();
        c = { ip, requests: 0, misses: 0, bytesOut: 0, refused: 0, delayed: 0, firstSeen: time, lastSeen: time, lastDecision: null };
        byIp.set(ip, c);
      }
      c.requests++;
      if (status === 404) c.misses++;
      c.bytesOut += bytesOut;
      if (REFUSALS.has(decision)) c.refused++;
      if (isDelayed) c.delayed++;
      if (time > c.lastSeen) c.lastSeen = time;
      if (decision !== 'forwarded') c.lastDecision = decision;
    },
    top(sort) {
      return [...byIp.values()].sort((a, b) => b[sort] - a[sort] || b.lastSeen - a.lastSeen);
    },
    get(ip) {
      return byIp.get(ip);
    },
  };
}
