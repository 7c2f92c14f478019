import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { event, FP, LOOKUP, MINUTE, T0 } from '../../test/fixtures/detect/scenarios.ts';
import { simulate } from '../../test/fixtures/detect/simulate.ts';
import { createDetector } from './engine.ts';
import { builtinRules, compileRules } from './rules.ts';
import { startDetectorTimer } from './timer.ts';
import type { DetectEvent } from './types.ts';

const ONLY = (yaml: string) => compileRules([{ file: 'test.yaml', text: yaml }], { builtins: false });

/** a rule that fires on 5 misses in a minute from one address */
const MISSES = ONLY(`
rules:
  - name: misses
    description: five misses in a minute
    on: [ip, subnet, fingerprint, principal, apikey]
    window: 1m
    when: { misses: { min: 5 } }
    severity: low
    decision: { action: ban, duration: [10m, 1h] }
`);

function misses(ip: string, from: number, n: number, extra: Partial<Parameters<typeof event>[0]> = {}): DetectEvent[] {
  return Array.from({ length: n }, (_, i) => event({ time: from + i * 1000, ip, fingerprint: FP.curl, operation: LOOKUP, status: 404, identifiers: [`+1555000${1000 + i}`], ...extra }));
}

describe('createDetector', () => {
  it('decides once per identity while the decision holds, then escalates a repeat offence', () => {
    const detector = createDetector({ rules: ONLY(MISSES_YAML_ONE_KIND), hashSeed: 1 });
    const first = simulate(detector, misses('192.0.2.1', T0, 30), { everyMs: 5000 });
    assert.equal(first.decisions.length, 1, 'not one decision per evaluation');
    assert.equal(first.decisions[0]!.level, 1);
    assert.equal(first.decisions[0]!.durationMs, 10 * MINUTE);
    assert.equal(first.signals.length, 1);
    // the ban ends at +10 min; misses again at +15 min: level 2, one hour
    const again = simulate(detector, misses('192.0.2.1', T0 + 15 * MINUTE, 30), { everyMs: 5000 });
    assert.equal(again.decisions.length, 1);
    assert.equal(again.decisions[0]!.level, 2);
    assert.equal(again.decisions[0]!.durationMs, 60 * MINUTE);
    assert.match(again.decisions[0]!.reason, /level 2/);
  });

  it("names each identity with the limiter's ban key", () => {
    const detector = createDetector({ rules: MISSES, hashSeed: 1 });
    const { decisions } = simulate(detector, misses('198.51.100.7', T0, 10, { apiKey: 'k1', principal: 'jwt:https://idp/|ann' }), { everyMs: 5000 });
    const keys = decisions.map((d) => d.banKey).sort();
    assert.deepEqual(keys, ['apikey:k1', `fingerprint:${FP.curl}`, 'ip:198.51.100.7', 'principal:jwt:https://idp/|ann', 'subnet:198.51.100.0/24']);
  });

  it('keeps API-key principals out of the principal kind (a key can be in every copy of an app)', () => {
    const detector = createDetector({ rules: MISSES, hashSeed: 1 });
    const { decisions } = simulate(detector, misses('198.51.100.7', T0, 10, { apiKey: 'k1' }), { everyMs: 5000 });
    assert.ok(!decisions.some((d) => d.identity.kind === 'principal'));
    assert.ok(decisions.some((d) => d.banKey === 'apikey:k1'));
  });

  it('reports dry runs and delays as such', () => {
    const rules = ONLY(`
rules:
  - name: slow-down
    on: ip
    perOperation: true
    window: 1m
    when: { misses: { min: 5 } }
    decision: { action: delay, delay: 1500ms, duration: 5m, mode: dryRun }
`);
    const { decisions, signals } = simulate(createDetector({ rules, hashSeed: 1 }), misses('192.0.2.9', T0, 10), { everyMs: 5000 });
    assert.equal(decisions.length, 1);
    assert.equal(decisions[0]!.action, 'delay');
    assert.equal(decisions[0]!.delayMs, 1500);
    assert.equal(decisions[0]!.dryRun, true);
    assert.equal(decisions[0]!.evidence.operation, LOOKUP);
    assert.match(decisions[0]!.reason, /delay 1500ms for 5m \(dry run\)/);
    assert.equal(signals[0]!.labels.operation, LOOKUP);
  });

  it('counts a miss from the per-operation statuses or from the caller (isMiss)', () => {
    const rules = ONLY(`
settings:
  operations:
    ${LOOKUP}: { missStatuses: [204] }
rules:
  - name: misses
    on: ip
    window: 1m
    when: { misses: { min: 5 } }
`);
    const detector = createDetector({ rules, hashSeed: 1 });
    assert.equal(simulate(detector, misses('192.0.2.10', T0, 10), { everyMs: 5000 }).decisions.length, 0, '404 is not a miss here');
    const noContent = misses('192.0.2.11', T0 + MINUTE, 10, { status: 204 });
    assert.equal(simulate(detector, noContent, { everyMs: 5000 }).decisions.length, 1);
    const saidSo = misses('192.0.2.12', T0 + 2 * MINUTE, 10, { status: 200 }).map((e) => ({ ...e, isMiss: true }));
    assert.equal(simulate(detector, saidSo, { everyMs: 5000 }).decisions.length, 1);
  });

  it('runs identity rules only for what changed, and nothing without events', () => {
    const detector = createDetector({ rules: builtinRules(), hashSeed: 1 });
    assert.deepEqual(detector.evaluate(T0), { decisions: [], signals: [] });
    for (const e of misses('192.0.2.13', T0, 3)) detector.observe(e);
    assert.deepEqual(detector.evaluate(T0 + 5000).decisions, []);
  });

  it('takes events out of order', () => {
    const events = misses('192.0.2.14', T0, 10).reverse();
    const detector = createDetector({ rules: ONLY(MISSES_YAML_ONE_KIND), hashSeed: 1 });
    for (const e of events) detector.observe(e);
    assert.equal(detector.evaluate(T0 + 20_000).decisions.length, 1);
  });

  it('keeps tracked identities at the cap: a million addresses (memory bound)', (t) => {
    const cap = 10_000;
    const detector = createDetector({ rules: builtinRules(), hashSeed: 1, maxIdentities: cap });
    const base = event({ time: T0, ip: '10.0.0.1', fingerprint: FP.androidApp, operation: LOOKUP, status: 200, identifiers: ['+15551230000'], apiKey: 'app-public' });
    for (let i = 0; i < 1_000_000; i++) {
      // every address in its own /24 as often as not: subnets overflow their cap too
      const a = 11 + (i % 200);
      const b = Math.floor(i / 200) % 256;
      const c = Math.floor(i / 51_200) % 256;
      detector.observe({ ...base, time: T0 + i, clientIp: `${a}.${b}.${c}.${1 + (i % 7)}`, subnet: `${a}.${b}.${c}.0/24` });
      if (i % 100_000 === 0) detector.evaluate(T0 + i);
    }
    const size = detector.size();
    assert.equal(size.identities.ip, cap);
    assert.equal(size.identities.subnet, cap);
    assert.equal(size.identities.fingerprint, 1);
    assert.equal(size.identities.apikey, 1);
    assert.ok(size.evictions >= 2 * (1_000_000 - cap) - 200 * 256 * 20);
    assert.ok(size.pairs <= 5 * cap * 8);
    t.diagnostic(`${size.identities.ip} addresses, ${size.pairs} pairs, ~${Math.round(size.approxBytes / (size.identities.ip + size.identities.subnet))} bytes per address or subnet (with its pairs)`);
  });

  it('keeps operations at their cap', () => {
    const detector = createDetector({ rules: builtinRules(), hashSeed: 1, maxOperations: 50 });
    for (let i = 0; i < 500; i++) detector.observe(event({ time: T0 + i, ip: '192.0.2.15', fingerprint: null, operation: `op${i}`, status: 200 }));
    assert.equal(detector.size().operations, 50);
    assert.ok(detector.size().pairs <= 8 * 2);
  });

  it('evaluates on a timer with the clock', async () => {
    let now = T0;
    const detector = createDetector({ rules: ONLY(MISSES_YAML_ONE_KIND), hashSeed: 1, clock: () => now });
    for (const e of misses('192.0.2.16', T0, 10)) detector.observe(e);
    now = T0 + 20_000;
    const result = await new Promise<{ decisions: unknown[] }>((resolve) => {
      const stop = startDetectorTimer(detector, { everyMs: 5, onResult: (r) => { stop(); resolve(r); } });
    });
    assert.equal(result.decisions.length, 1);
  });
});

const MISSES_YAML_ONE_KIND = `
rules:
  - name: misses
    description: five misses in a minute
    on: ip
    window: 1m
    when: { misses: { min: 5 } }
    severity: low
    decision: { action: ban, duration: [10m, 1h] }
`;
