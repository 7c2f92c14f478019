/**
 * Every built-in rule tested from a folder of input events and expected
 * decisions and alerts (CrowdSec hub style): test/fixtures/detect/<rule>/
 * holds expected.json and either events.jsonl (small scenarios, checked in)
 * or the name of a seeded generator (scenarios.ts) for big ones. Rules run
 * every 10 s of simulated time. Delays are measured from the attack's start
 * and reported as test diagnostics.
 *
 * Matching: an expected decision or signal is a partial object; strings
 * ending in '*' match by prefix. `attackers` lists, per identity kind, the
 * only identities any decision may name: everything else in the scenario is
 * a person, and a decision on a person is a false positive.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { GENERATORS, type Scenario } from '../../test/fixtures/detect/scenarios.ts';
import { simulate } from '../../test/fixtures/detect/simulate.ts';
import { createDetector } from './engine.ts';
import { builtinRules } from './rules.ts';
import type { AlertSignal, Decision, DetectEvent } from './types.ts';

const FIXTURES = new URL('../../test/fixtures/detect/', import.meta.url);

interface Expectation {
  match: Record<string, unknown>;
  count?: { min?: number; max?: number };
  withinMs?: number;
  topIdentities?: { kind: string; value: string }[];
  examples?: { min: number };
}

interface Expected {
  description: string;
  events?: string;
  generator?: { name: string; seed: number };
  evaluateEveryMs: number;
  decisions: Expectation[];
  signals: Expectation[];
  maxDecisions?: number;
  maxSignals?: number;
  attackers: Record<string, string[]>;
}

function matches(actual: unknown, pattern: unknown): boolean {
  if (typeof pattern === 'string' && pattern.endsWith('*')) return typeof actual === 'string' && actual.startsWith(pattern.slice(0, -1));
  if (pattern !== null && typeof pattern === 'object') {
    if (actual === null || typeof actual !== 'object') return false;
    return Object.entries(pattern).every(([k, v]) => matches((actual as Record<string, unknown>)[k], v));
  }
  return actual === pattern;
}

function load(folder: string, expected: Expected): Scenario {
  if (expected.events) {
    const lines = readFileSync(new URL(`${folder}/${expected.events}`, FIXTURES), 'utf8').trim().split('\n');
    const meta = JSON.parse(lines[0]!) as { attackStart: number; end: number };
    return { ...meta, events: lines.slice(1).map((l) => JSON.parse(l) as DetectEvent) };
  }
  const generator = GENERATORS[expected.generator!.name];
  assert.ok(generator, `unknown generator ${expected.generator!.name}`);
  return generator(expected.generator!.seed);
}

const minutes = (ms: number) => (ms / 60_000).toFixed(2);

function check<T extends Decision | AlertSignal>(kind: string, items: readonly T[], expectations: readonly Expectation[], attackStart: number, report: (line: string) => void): void {
  for (const e of expectations) {
    const found = items.filter((item) => matches(item, e.match));
    const label = `${kind} ${JSON.stringify(e.match)}`;
    if (e.count?.min !== undefined) assert.ok(found.length >= e.count.min, `${label}: ${found.length} found, expected at least ${e.count.min}`);
    if (e.count?.max !== undefined) assert.ok(found.length <= e.count.max, `${label}: ${found.length} found, expected at most ${e.count.max}`);
    if (found.length === 0) continue;
    const delay = found[0]!.time - attackStart;
    report(`${label}: ${found.length}, first after ${minutes(delay)} min`);
    if (e.withinMs !== undefined) assert.ok(delay <= e.withinMs, `${label}: first after ${minutes(delay)} min, expected within ${minutes(e.withinMs)}`);
    for (const top of e.topIdentities ?? []) {
      assert.ok(found.some((s) => (s as AlertSignal).evidence.topIdentities.some((t) => t.kind === top.kind && t.value === top.value)), `${label}: ${top.kind} ${top.value} is not among the top identities`);
    }
    if (e.examples) assert.ok((found[0] as AlertSignal).evidence.exampleRequests.length >= e.examples.min, `${label}: too few example requests`);
  }
}

const folders = readdirSync(FIXTURES, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(new URL(`${d.name}/expected.json`, FIXTURES)))
  .map((d) => d.name)
  .sort();

describe('built-in rules against test/fixtures/detect', () => {
  it('every built-in rule has a fixture folder', () => {
    const missing = builtinRules().rules.map((r) => r.name).filter((name) => !folders.includes(name));
    assert.deepEqual(missing, []);
  });

  for (const folder of folders) {
    it(folder, (t) => {
      const expected = JSON.parse(readFileSync(new URL(`${folder}/expected.json`, FIXTURES), 'utf8')) as Expected;
      const scenario = load(folder, expected);
      const detector = createDetector({ rules: builtinRules(), hashSeed: 1 });
      const result = simulate(detector, scenario.events, { everyMs: expected.evaluateEveryMs, end: scenario.end });
      t.diagnostic(`${scenario.events.length} events, ${result.decisions.length} decisions, ${result.signals.length} signals`);

      check('decision', result.decisions, expected.decisions, scenario.attackStart, (line) => t.diagnostic(line));
      check('signal', result.signals, expected.signals, scenario.attackStart, (line) => t.diagnostic(line));
      if (expected.maxDecisions !== undefined) {
        assert.ok(result.decisions.length <= expected.maxDecisions, `unexpected decisions: ${result.decisions.slice(0, 5).map((d) => d.reason).join('\n')}`);
      }
      if (expected.maxSignals !== undefined) {
        assert.ok(result.signals.length <= expected.maxSignals, `unexpected signals: ${result.signals.slice(0, 5).map((s) => s.summary).join('\n')}`);
      }
      // a decision on anyone but the attackers is a false positive
      for (const d of result.decisions) {
        const allowed = expected.attackers[d.identity.kind] ?? [];
        assert.ok(allowed.some((p) => matches(d.identity.value, p)), `false positive: ${d.reason}`);
      }
      // the contract src/alerts consumes
      for (const s of result.signals) {
        assert.deepEqual(Object.keys(s).sort(), ['evidence', 'labels', 'rule', 'severity', 'summary', 'time']);
        assert.deepEqual(Object.keys(s.evidence).sort(), ['counts', 'exampleRequests', 'topIdentities']);
        for (const example of s.evidence.exampleRequests) assert.deepEqual(Object.keys(example).sort(), ['clientIp', 'method', 'status', 'target', 'time']);
      }
    });
  }
});
