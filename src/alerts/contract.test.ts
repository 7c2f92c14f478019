/**
 * The contract with detection (src/detect): every signal it emits is one the
 * manager takes. The assignment below is the check; it fails type-checking
 * as soon as the two AlertSignal types drift apart.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AlertSignal as DetectSignal } from '../detect/types.ts';
import { createAlertManager } from './lifecycle.ts';
import { collectingLogger, memorySink } from './test-helpers.ts';
import type { AlertSignal } from './types.ts';

const accepts = (s: DetectSignal): AlertSignal => s;

describe('contract with src/detect', () => {
  it('takes a signal shaped as the detection engine builds it, grouped by its labels', async () => {
    const sink = memorySink();
    const m = createAlertManager({ groupWaitMs: 0, groupBy: ['operation', 'kind', 'identity'], sinks: [sink], logger: collectingLogger().logger, clock: () => 1000 });
    const fromDetect: DetectSignal = {
      rule: 'enumeration',
      severity: 'high',
      labels: { rule: 'enumeration', severity: 'high', scope: 'identity', kind: 'subnet', identity: '203.0.113.0/24', operation: 'getPhoneStatus' },
      summary: 'enumeration: subnet 203.0.113.0/24 on getPhoneStatus (distinctIdentifiers=412, missRatio=0.95 over 10m) → ban',
      evidence: { topIdentities: [{ kind: 'subnet', value: '203.0.113.0/24', count: 5120 }], counts: { distinctIdentifiers: 412, missRatio: 0.95 }, exampleRequests: [] },
      time: 1000,
    };
    m.signal(accepts(fromDetect));
    await m.drain();
    const alert = m.list()[0]!;
    assert.deepEqual(alert.groupLabels, { operation: 'getPhoneStatus', kind: 'subnet', identity: '203.0.113.0/24' });
    assert.equal(sink.received[0]!.kind, 'firing');
  });
});
