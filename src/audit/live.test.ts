/** Live findings from a real SQLite store written the way the gateway writes it. */

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTestEvent } from '../store/conformance.ts';
import { createSqliteStore } from '../store/sqlite.ts';
import type { EndpointRecord } from '../store/types.ts';
import { createTrafficIndex, sumTraffic } from './live.ts';
import { auditFixture, fixture } from './test-helpers.ts';

async function recordedEndpoints(events: Parameters<typeof makeTestEvent>[0][]): Promise<EndpointRecord[]> {
  const dir = mkdtempSync(join(tmpdir(), 'apiwarden-audit-live-'));
  const store = createSqliteStore(join(dir, 'store.db'));
  try {
    await store.recordEvents(events.map((e) => makeTestEvent(e)));
    return await store.listEndpoints();
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const STATUS = { upstream: 'accounts', method: 'GET', template: '/v2/accounts/{phone}/status', operationId: 'getAccountStatus' };

describe('live findings', () => {
  test('a finding on an operation with traffic is live, and ranks first within its severity', async () => {
    const records = await recordedEndpoints([
      { ...STATUS, status: 200 }, { ...STATUS, status: 200 }, { ...STATUS, status: 404 },
      // the same operation through another host: summed
      { ...STATUS, host: 'other.example.com', status: 200 },
      // HEAD answered by the GET operation
      { upstream: 'accounts', method: 'HEAD', template: '/v2/search', operationId: 'search', status: 200 },
      // the last critical finding in the document, but the busiest
      ...Array.from({ length: 6 }, () => ({ upstream: 'accounts', method: 'GET', template: '/v2/profile', status: 401 })),
      // shadow rows hold paths, not templates: never matched
      { upstream: 'accounts', method: 'GET', template: '/v2/health', class: 'shadow' as const, status: 200 },
    ]);
    const findings = await auditFixture('security-3.0.yaml', { traffic: createTrafficIndex(records) });
    const critical = findings.filter((f) => f.severity === 'critical');
    assert.deepEqual(critical.map((f) => [f.operation, f.live?.calls, f.live?.status2xx]), [
      ['GET /v2/profile', 6, 0],
      ['GET /v2/accounts/{phone}/status', 4, 3],
      ['GET /v2/search', 1, 1],
    ]);
    const health = findings.find((f) => f.operation === 'GET /v2/health');
    assert.equal(health?.live, undefined);
    // a grouped finding sums its operations' traffic
    const no429 = findings.find((f) => f.id === 'responses.no-429');
    assert.deepEqual([no429?.live?.calls, no429?.live?.status2xx], [11, 4]);
  });

  test('with a policy, only the upstreams that serve the document count', async () => {
    const records = await recordedEndpoints([{ ...STATUS, upstream: 'someone-else', status: 200 }]);
    const source = fixture('security-3.0.yaml');
    const served = createTrafficIndex(records, new Map([[source, ['accounts']]]));
    assert.equal(served.trafficOf(source, 'GET', [STATUS.template]), null);
    const any = createTrafficIndex(records);
    assert.equal(any.trafficOf(source, 'GET', [STATUS.template])?.calls, 1);
  });

  test('sumTraffic', () => {
    assert.equal(sumTraffic([null, null]), null);
    assert.deepEqual(sumTraffic([{ calls: 2, status2xx: 1, lastSeen: 5 }, null, { calls: 3, status2xx: 3, lastSeen: 4 }]), { calls: 5, status2xx: 4, lastSeen: 5 });
  });
});
