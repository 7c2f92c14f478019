import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Alert } from './types.ts';
import { startAlertPersistence } from './persist.ts';

const alert = (fingerprint: string, lastSeenAt: number): Alert => ({
  fingerprint, rule: 'enumeration', status: 'firing', severity: 'high', summary: 's', groupLabels: {}, labels: {}, startsAt: 1, lastSeenAt,
  endsAt: null, count: 1, acknowledgedAt: null, acknowledgedBy: null, resolvedBy: null, evidence: { topIdentities: [], counts: {}, exampleRequests: [] },
});

describe('alert persistence', () => {
  it('saves when the alerts change, skips when they do not, and keeps saving after a save with nothing new', async () => {
    let current: Alert[] = [alert('a', 1)];
    const saved: string[][] = [];
    const p = startAlertPersistence({ list: () => current }, { saveAlerts: async (list) => void saved.push(list.map((a) => a.fingerprint)) }, 60_000, () => {});
    await p.save();
    await p.save();
    current = [alert('a', 1), alert('b', 2)];
    await p.save();
    await p.stop();
    assert.deepEqual(saved, [['a'], ['a', 'b']]);
  });

  it('retries at the next save when the store fails', async () => {
    let fail = true;
    const saved: number[] = [];
    const logged: string[] = [];
    const p = startAlertPersistence({ list: () => [alert('a', 1)] }, { saveAlerts: async (list) => {
      if (fail) throw new Error('down');
      saved.push(list.length);
    } }, 60_000, (_l, m) => logged.push(m));
    await p.save();
    fail = false;
    await p.save();
    await p.stop();
    assert.deepEqual(saved, [1]);
    assert.equal(logged.length, 1);
  });
});
