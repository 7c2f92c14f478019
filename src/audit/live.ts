/**
 * "Live" findings: operations the gateway has actually served. The store
 * keeps one row per (upstream, host, method, template) with counts; the
 * template of a matched request is the operation's template exactly as
 * src/openapi collects it, which the audit also uses, so a finding's
 * operations are looked up by method and template.
 */

import type { EndpointRecord } from '../store/types.ts';
import type { LiveTraffic } from './types.ts';

export interface TrafficIndex {
  /**
   * Traffic to one method and any of the templates, summed over hosts and
   * upstreams (only the upstreams serving `source` when the policy says
   * which); null when none was recorded.
   */
  trafficOf(source: string, method: string, templates: readonly string[]): LiveTraffic | null;
}

/**
 * @param upstreamsByDocument absolute document path → names of the upstreams
 *   that route it (from the policy); a document absent from the map matches
 *   records of any upstream
 */
export function createTrafficIndex(
  records: readonly EndpointRecord[],
  upstreamsByDocument: ReadonlyMap<string, readonly string[]> = new Map(),
): TrafficIndex {
  const byRoute = new Map<string, EndpointRecord[]>();
  for (const record of records) {
    // Shadow and unknown rows carry a concrete path, not a template: a
    // document's "/users/{id}" must not match a request for that literal path.
    if (record.class !== 'documented' && record.class !== 'zombie') continue;
    const key = `${record.method} ${record.template}`;
    const list = byRoute.get(key);
    if (list) list.push(record);
    else byRoute.set(key, [record]);
  }
  return {
    trafficOf(source, method, templates) {
      const upstreams = upstreamsByDocument.get(source);
      let calls = 0;
      let status2xx = 0;
      let lastSeen = 0;
      for (const template of new Set(templates)) {
        for (const record of byRoute.get(`${method} ${template}`) ?? []) {
          if (upstreams && !upstreams.includes(record.upstream)) continue;
          calls += record.total;
          status2xx += record.status2xx;
          lastSeen = Math.max(lastSeen, record.lastSeen);
        }
      }
      return calls > 0 ? { calls, status2xx, lastSeen } : null;
    },
  };
}

/** The sum of several operations' traffic; null when none had any. */
export function sumTraffic(items: ReadonlyArray<LiveTraffic | null>): LiveTraffic | null {
  let total: LiveTraffic | null = null;
  for (const item of items) {
    if (item === null) continue;
    total = total === null
      ? { ...item }
      : { calls: total.calls + item.calls, status2xx: total.status2xx + item.status2xx, lastSeen: Math.max(total.lastSeen, item.lastSeen) };
  }
  return total;
}
