import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PolicyError, type PolicyProblem } from '../config/policy-error.ts';
import { builtinRules, compileRules, loadRules } from './rules.ts';

const FILE = '/etc/apiwarden/detect.yaml';

function compile(text: string) {
  return compileRules([{ file: FILE, text }]);
}

function problems(text: string, options: { builtins?: boolean } = {}): PolicyProblem[] {
  try {
    compileRules([{ file: FILE, text }], options);
  } catch (err) {
    assert.ok(err instanceof PolicyError, String(err));
    assert.equal(err.code, 'CONFIG_INVALID');
    return err.problems;
  }
  assert.fail('expected the rules to be refused');
}

/** one problem: its field, line and message */
function only(text: string, options: { builtins?: boolean } = {}): PolicyProblem {
  const list = problems(text, options);
  assert.equal(list.length, 1, list.map((p) => `${p.field}: ${p.message}`).join('\n'));
  return list[0]!;
}

describe('built-in rules', () => {
  it('compile, each with a description, a window and a decision', () => {
    const { rules, settings } = builtinRules();
    assert.deepEqual(rules.map((r) => r.name), [
      'enumeration', 'distributed-enumeration', 'credential-stuffing', 'distributed-credential-stuffing', 'brute-force',
      'scraping', 'scanning', 'refused-persistently', 'shadow-zombie-use', 'unauthenticated-sensitive-data', 'data-volume', 'data-volume-operation',
    ]);
    for (const rule of rules) {
      assert.ok(rule.description.length > 20, rule.name);
      assert.ok(rule.origin.startsWith('<builtin-rules>:'), rule.origin);
    }
    assert.deepEqual([...settings.missStatuses], [404]);
    assert.equal(settings.baselineWarmupMs, 30 * 60_000);
  });

  it('never act on an operation or on an API key by themselves: keys are only an attribution fallback', () => {
    for (const rule of builtinRules().rules) {
      assert.ok(!rule.kinds.includes('apikey') || rule.action === 'alert', rule.name);
      if (rule.scope === 'operation' && rule.action !== 'alert') assert.ok(rule.attribute, rule.name);
    }
    assert.deepEqual(builtinRules().rules.find((r) => r.name === 'distributed-enumeration')!.attribute!.fallback, ['apikey', 'principal']);
  });
});

describe('tuning rules from a user file', () => {
  it('changes only the fields written; decision merges key by key; when is replaced', () => {
    const { rules } = compile(`
rules:
  - name: enumeration
    window: 30m
    when: { distinctIdentifiers: { min: 100 }, missRatio: { min: 0.8 } }
    decision: { mode: dryRun }
`);
    const rule = rules.find((r) => r.name === 'enumeration')!;
    assert.equal(rule.windowMs, 30 * 60_000);
    assert.equal(rule.when.length, 1);
    assert.deepEqual(rule.when[0]!.map((c) => [c.feature, c.min]), [['distinctIdentifiers', 100], ['missRatio', 0.8]]);
    assert.equal(rule.dryRun, true);
    assert.equal(rule.action, 'ban');
    assert.deepEqual(rule.durationsMs, [3_600_000, 21_600_000, 86_400_000]);
    assert.deepEqual(rule.kinds, ['ip', 'principal']);
    assert.match(rule.origin, /detect\.yaml:3$/);
  });

  it('disables a built-in by name and adds rules of its own', () => {
    const { rules } = compile(`
settings:
  missStatuses: [404, 410]
  operations:
    getAccountStatus: { missStatuses: [404, 204] }
rules:
  - name: scraping
    enabled: false
  - name: slow-lookups
    on: apikey
    perOperation: true
    window: 1h
    when: { distinctIdentifiers: { min: 5000 } }
    severity: low
    decision: { action: delay, delay: 500ms, duration: 15m }
`);
    assert.ok(!rules.some((r) => r.name === 'scraping'));
    const added = rules.find((r) => r.name === 'slow-lookups')!;
    assert.equal(added.scope, 'pair');
    assert.deepEqual(added.kinds, ['apikey']);
    assert.equal(added.delayMs, 500);
    assert.deepEqual(added.durationsMs, [900_000]);
  });

  it('reads settings', () => {
    const { settings } = compile('settings:\n  missStatuses: [404, 410]\n  operations:\n    getAccountStatus: { missStatuses: [404, 204] }\n  baseline: { halfLife: 2h }\n');
    assert.deepEqual([...settings.missStatuses], [404, 410]);
    assert.deepEqual([...settings.missStatusesByOperation.get('getAccountStatus')!], [404, 204]);
    assert.equal(settings.baselineHalfLifeMs, 7_200_000);
    assert.equal(settings.baselineWarmupMs, 1_800_000);
  });

  it('compiles an empty file to the built-ins, and nothing without them', () => {
    assert.equal(compile('').rules.length, builtinRules().rules.length);
    assert.equal(compileRules([{ file: FILE, text: 'rules: []' }], { builtins: false }).rules.length, 0);
  });
});

describe('rules that cannot be used', () => {
  it('name the file, line, column, rule and field, with a suggestion for typos', () => {
    const p = only(`
rules:
  - name: enumeration
    when:
      missRaito: { min: 0.5 }
`);
    assert.equal(p.file, FILE);
    assert.equal(p.line, 5);
    assert.equal(p.column, 7);
    assert.equal(p.field, 'rules[enumeration].when.missRaito');
    assert.match(p.message, /unknown field 'missRaito' \(did you mean 'missRatio'\?\)/);
  });

  it('render as file:line:column: field: message', () => {
    try {
      compile('rules:\n  - name: scanning\n    windw: 1m\n');
      assert.fail('accepted');
    } catch (err) {
      assert.match((err as Error).message, /detect\.yaml:3:5: rules\[scanning\]\.windw: unknown field 'windw' \(did you mean 'window'\?\)/);
    }
  });

  const cases: [string, string, string | RegExp][] = [
    ['sigma outside an operation rule',
      'rules:\n  - name: enumeration\n    when: { misses: { sigma: 6 } }\n', /only rules 'on: operation' have one/],
    ['factor on an identity without over',
      'rules:\n  - name: enumeration\n    when: { misses: { factor: 3 } }\n', /factor on an identity needs 'over'/],
    ['over not longer than the window',
      'rules:\n  - name: data-volume\n    when: { bytesOut: { factor: 3, over: 30m } }\n', /must be longer than the rule's window \(1h\)/],
    ['a ratio above 1',
      'rules:\n  - name: enumeration\n    when: { missRatio: { min: 1.5 } }\n', /must be between 0 and 1 \(got 1\.5\)/],
    ['min above max',
      'rules:\n  - name: enumeration\n    when: { misses: { min: 10, max: 5 } }\n', /min \(10\) is above max \(5\): it can never hold/],
    ['a per-client feature on an operation',
      'rules:\n  - name: distributed-enumeration\n    when: { gapCv: { max: 0.3 } }\n', /'gapCv' is a per-client feature/],
    ['banning an operation',
      'rules:\n  - name: ops\n    on: operation\n    window: 5m\n    when: { misses: { min: 10 } }\n    decision: { action: ban }\n', /an operation cannot be banned: add 'attribute'/],
    ['an operation window that is not whole minutes',
      'rules:\n  - name: distributed-enumeration\n    window: 90s\n', /whole minutes: use 1m to 60m/],
    ['a delay without its wait',
      'rules:\n  - name: scanning\n    decision: { action: delay }\n', /is required for action 'delay'/],
    ['a wait on a ban',
      'rules:\n  - name: scanning\n    decision: { delay: 2s }\n', /is only read for action 'delay'/],
    ['an unknown identity kind',
      'rules:\n  - name: scanning\n    on: [ip, subent]\n', /on\[1\]: must be 'ip', 'subnet', 'apikey', 'principal', 'fingerprint' \(got the string "subent"\); did you mean 'subnet'/],
    ['an unknown action',
      'rules:\n  - name: scanning\n    decision: { action: kill }\n', /must be 'alert', 'delay', 'block', 'ban'/],
    ['a bad duration',
      'rules:\n  - name: scanning\n    window: 5 minutes\n', /is not a duration/],
    ['an incomplete new rule',
      'rules:\n  - name: mine\n    on: ip\n    window: 1m\n', /rules\[mine\]\.when|is required/],
    ['a duplicate name',
      'rules:\n  - name: scanning\n  - name: scanning\n', /defined twice in this file/],
    ['a bad name',
      'rules:\n  - name: Scanning Rule\n', /lower-case letters/],
    ['attribute on an identity rule',
      'rules:\n  - name: scanning\n    attribute: { when: { misses: { min: 1 } } }\n', /only rules 'on: operation' attribute/],
    ['an attribution without when',
      'rules:\n  - name: ops\n    on: operation\n    window: 5m\n    when: { misses: { min: 10 } }\n    attribute: { kinds: [subnet] }\n', /attribute\.when|is required/],
    ['a fallback already in kinds',
      'rules:\n  - name: distributed-enumeration\n    attribute: { fallback: [subnet] }\n', /'subnet' is in kinds already/],
    ['an unknown top-level field',
      'rule:\n  - name: scanning\n', /unknown field 'rule' \(did you mean 'rules'\?\)/],
    ['YAML that does not parse',
      'rules:\n  - name: [scanning\n', /./],
    ['a miss status that is not one',
      'settings:\n  missStatuses: [4040]\n', /between 100 and 599/],
  ];
  for (const [title, text, message] of cases) {
    it(`refuses ${title}`, () => {
      const list = problems(text);
      assert.ok(list.some((p) => (typeof message === 'string' ? p.message.includes(message) : message.test(`${p.field}: ${p.message}`))),
        list.map((p) => `${p.line}: ${p.field}: ${p.message}`).join('\n'));
      for (const p of list) assert.ok(p.line > 0, `no position for ${p.field}`);
    });
  }

  it('reports every problem at once', () => {
    const list = problems('rules:\n  - name: scanning\n    window: 0s\n    severity: urgent\n  - name: enumeration\n    when: { misses: { min: -1 } }\n');
    assert.deepEqual(list.map((p) => p.field), ['rules[scanning].window', 'rules[scanning].severity', 'rules[enumeration].when.misses.min']);
  });
});

describe('loadRules', () => {
  it('reads files in order, a later one tuning an earlier one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'apiwarden-detect-'));
    writeFileSync(join(dir, 'a.yaml'), 'rules:\n  - name: scanning\n    window: 2m\n');
    writeFileSync(join(dir, 'b.yaml'), 'rules:\n  - name: scanning\n    decision: { mode: dryRun }\n');
    const { rules } = await loadRules([join(dir, 'a.yaml'), join(dir, 'b.yaml')]);
    const scanning = rules.find((r) => r.name === 'scanning')!;
    assert.equal(scanning.windowMs, 120_000);
    assert.equal(scanning.dryRun, true);
    assert.match(scanning.origin, /b\.yaml:2$/);
  });

  it('says which file cannot be read', async () => {
    await assert.rejects(loadRules(['/nonexistent/detect.yaml']), (err: PolicyError) => err.code === 'CONFIG_INVALID' && /cannot read the rules file/.test(err.message));
  });
});
