/**
 * Detection rules as data: YAML files → validation (every problem, with file,
 * line, column, and the rule and field it is in) → an immutable RuleSet that
 * the engine compiles into its layouts once.
 *
 * Built-ins (builtin-rules.ts) come first; a user file then tunes a built-in
 * by naming it (only the fields written change; `decision` and `attribute`
 * merge key by key, `when` is replaced whole), disables it with
 * `enabled: false`, or adds rules of its own. See docs in builtin-rules.ts
 * for the shape.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describeValue, didYouMean, PolicyError, type PolicyProblem } from '../config/policy-error.ts';
import { parseDuration } from '../config/values.ts';
import { BUILTIN_RULES_FILE, BUILTIN_RULES_YAML } from './builtin-rules.ts';
import { FEATURE_NAMES, FEATURES, type FeatureDef, type FeatureName } from './features.ts';
import { RuleSource, type Path } from './rule-source.ts';
import { IDENTITY_KINDS, type DecisionAction, type IdentityKind, type Severity } from './types.ts';

export type RuleScope =
  /** features of one identity, all operations together */
  | 'identity'
  /** features of one identity on one operation (`perOperation: true`) */
  | 'pair'
  /** features of one operation, all clients together, against its learned baseline */
  | 'operation';

export interface Condition {
  feature: FeatureName;
  def: FeatureDef;
  /** value >= min */
  min: number | null;
  /** value <= max */
  max: number | null;
  /** operation rules: standard score against the baseline >= sigma */
  sigma: number | null;
  /** value >= factor × expected (the operation's baseline, or the identity's own rate over `overMs`) */
  factor: number | null;
  /** identity rules: the longer window whose rate is the identity's own baseline */
  overMs: number | null;
}

/** conditions that must all hold */
export type Conjunction = readonly Condition[];

export interface Attribution {
  windowMs: number;
  /** identity kinds named when their own traffic on the operation meets `when` */
  kinds: readonly IdentityKind[];
  /** kinds tried only when `kinds` explain less than `coverage` of the operation's `by` (keys: often shared by every client) */
  fallback: readonly IdentityKind[];
  coverage: number;
  by: FeatureName;
  byCounter: number;
  when: readonly Conjunction[];
}

export interface CompiledRule {
  name: string;
  description: string;
  scope: RuleScope;
  /** identity kinds it runs for (empty for operation rules) */
  kinds: readonly IdentityKind[];
  windowMs: number;
  /** any of these conjunctions */
  when: readonly Conjunction[];
  severity: Severity;
  action: DecisionAction;
  /** by escalation level (the last repeats); for alerts, how long a firing is remembered */
  durationsMs: readonly number[];
  delayMs: number;
  dryRun: boolean;
  /** a level is forgotten after this long without a decision */
  resetAfterMs: number;
  attribute: Attribution | null;
  /** "file:line" where the rule is defined, for messages */
  origin: string;
}

export interface DetectSettings {
  missStatuses: ReadonlySet<number>;
  missStatusesByOperation: ReadonlyMap<string, ReadonlySet<number>>;
  /** numeric identifiers within this distance of the previous one count as sequential */
  sequentialDelta: number;
  baselineHalfLifeMs: number;
  baselineWarmupMs: number;
}

export interface RuleSet {
  rules: readonly CompiledRule[];
  settings: DetectSettings;
}

export interface RuleText {
  /** shown in messages */
  file: string;
  text: string;
}

const SEVERITIES: readonly Severity[] = ['info', 'low', 'medium', 'high', 'critical'];
const ACTIONS: readonly DecisionAction[] = ['alert', 'delay', 'block', 'ban'];
const RULE_KEYS = ['name', 'description', 'enabled', 'on', 'perOperation', 'window', 'when', 'severity', 'decision', 'attribute'];
const DECISION_KEYS = ['action', 'duration', 'delay', 'mode', 'resetAfter'];
const ATTRIBUTE_KEYS = ['window', 'kinds', 'fallback', 'coverage', 'by', 'when'];
const CONDITION_KEYS = ['min', 'max', 'sigma', 'factor', 'over'];
const SETTINGS_KEYS = ['missStatuses', 'operations', 'sequentialDelta', 'baseline'];
const BASELINE_KEYS = ['halfLife', 'warmup'];
const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
const MINUTE = 60_000;
/** operation rules read a ring of minutes: an hour at most */
const MAX_OPERATION_WINDOW = 60 * MINUTE;
const MIN_WINDOW = 10_000;
const MAX_WINDOW = 7 * 24 * 60 * MINUTE;

/** One value and where it was written. */
interface Located {
  value: unknown;
  source: RuleSource;
  path: Path;
}

interface Draft {
  name: string;
  /** where the name was last written (problems without a field point here) */
  at: Located;
  fields: Map<string, Located>;
}

type Raw = Record<string, unknown>;
const isRecord = (v: unknown): v is Raw => v !== null && typeof v === 'object' && !Array.isArray(v);

class Problems {
  readonly list: PolicyProblem[] = [];

  report(at: Located, field: string, message: string, position: 'key' | 'value' = 'value'): void {
    const { line, column } = at.source.position(at.path, position);
    this.list.push({ file: at.source.file, line, column, field, message });
  }
}

function unknownKey(problems: Problems, at: Located, field: string, key: string, known: readonly string[]): void {
  const guess = didYouMean(key, known);
  problems.report(at, field, `unknown field '${key}'${guess ? ` (did you mean '${guess}'?)` : `; expected one of: ${known.join(', ')}`}`, 'key');
}

// ---------------------------------------------------------------------------
// merging sources into drafts

function mergeSources(sources: readonly RuleSource[], problems: Problems): { drafts: Map<string, Draft>; settings: Map<string, Located> } {
  const drafts = new Map<string, Draft>();
  const settings = new Map<string, Located>();
  for (const source of sources) {
    problems.list.push(...source.syntaxProblems);
    if (source.syntaxProblems.length > 0) continue;
    const root = source.data;
    const rootAt: Located = { value: root, source, path: [] };
    if (root === null || root === undefined) continue;
    if (!isRecord(root)) {
      problems.report(rootAt, '', `a rules file must be a mapping with 'rules' (and 'settings') (got ${describeValue(root)})`);
      continue;
    }
    for (const key of Object.keys(root)) {
      if (key !== 'rules' && key !== 'settings') unknownKey(problems, { value: root[key], source, path: [key] }, key, key, ['rules', 'settings']);
    }
    if (root.settings !== undefined) mergeSettings(source, root.settings, settings, problems);
    if (root.rules === undefined) continue;
    if (!Array.isArray(root.rules)) {
      problems.report({ value: root.rules, source, path: ['rules'] }, 'rules', `must be a list of rules (got ${describeValue(root.rules)})`);
      continue;
    }
    const seen = new Map<string, number>();
    root.rules.forEach((entry: unknown, index: number) => {
      const at: Located = { value: entry, source, path: ['rules', index] };
      if (!isRecord(entry)) {
        problems.report(at, `rules[${index}]`, `must be a mapping (got ${describeValue(entry)})`);
        return;
      }
      const name = entry.name;
      const nameAt: Located = { value: name, source, path: ['rules', index, 'name'] };
      if (typeof name !== 'string' || !NAME.test(name)) {
        problems.report(name === undefined ? at : nameAt, `rules[${index}].name`, name === undefined
          ? 'is required'
          : `must be lower-case letters, digits and '-', starting with a letter or digit (got ${describeValue(name)})`);
        return;
      }
      const first = seen.get(name);
      if (first !== undefined) {
        problems.report(nameAt, `rules[${name}].name`, `'${name}' is defined twice in this file (first at rules[${first}])`);
        return;
      }
      seen.set(name, index);
      let draft = drafts.get(name);
      if (!draft) {
        draft = { name, at: nameAt, fields: new Map() };
        drafts.set(name, draft);
      } else {
        draft.at = nameAt;
      }
      for (const [key, value] of Object.entries(entry)) {
        const fieldAt: Located = { value, source, path: ['rules', index, key] };
        if (key === 'name') continue;
        if (!RULE_KEYS.includes(key)) {
          unknownKey(problems, fieldAt, `rules[${name}].${key}`, key, RULE_KEYS);
          continue;
        }
        if (key === 'decision' || key === 'attribute') {
          if (!isRecord(value)) {
            problems.report(fieldAt, `rules[${name}].${key}`, `must be a mapping (got ${describeValue(value)})`);
            continue;
          }
          const known = key === 'decision' ? DECISION_KEYS : ATTRIBUTE_KEYS;
          draft.fields.set(key, fieldAt);
          for (const [sub, subValue] of Object.entries(value)) {
            const subAt: Located = { value: subValue, source, path: ['rules', index, key, sub] };
            if (!known.includes(sub)) unknownKey(problems, subAt, `rules[${name}].${key}.${sub}`, sub, known);
            else draft.fields.set(`${key}.${sub}`, subAt);
          }
          continue;
        }
        draft.fields.set(key, fieldAt);
      }
    });
  }
  return { drafts, settings };
}

function mergeSettings(source: RuleSource, value: unknown, settings: Map<string, Located>, problems: Problems): void {
  const at: Located = { value, source, path: ['settings'] };
  if (!isRecord(value)) {
    problems.report(at, 'settings', `must be a mapping (got ${describeValue(value)})`);
    return;
  }
  for (const [key, v] of Object.entries(value)) {
    const keyAt: Located = { value: v, source, path: ['settings', key] };
    if (!SETTINGS_KEYS.includes(key)) {
      unknownKey(problems, keyAt, `settings.${key}`, key, SETTINGS_KEYS);
      continue;
    }
    if (key === 'baseline' || key === 'operations') {
      if (!isRecord(v)) {
        problems.report(keyAt, `settings.${key}`, `must be a mapping (got ${describeValue(v)})`);
        continue;
      }
      for (const [sub, subValue] of Object.entries(v)) {
        const subAt: Located = { value: subValue, source, path: ['settings', key, sub] };
        if (key === 'baseline' && !BASELINE_KEYS.includes(sub)) unknownKey(problems, subAt, `settings.baseline.${sub}`, sub, BASELINE_KEYS);
        else settings.set(`${key}.${sub}`, subAt);
      }
      continue;
    }
    settings.set(key, keyAt);
  }
}

// ---------------------------------------------------------------------------
// value checks

function duration(problems: Problems, at: Located, field: string, min = MIN_WINDOW, max = MAX_WINDOW): number | null {
  let ms: number;
  try {
    ms = parseDuration(at.value as string | number);
  } catch (err) {
    problems.report(at, field, (err as Error).message);
    return null;
  }
  if (ms < min || ms > max) {
    problems.report(at, field, `must be between ${formatMs(min)} and ${formatMs(max)} (got ${formatMs(ms)})`);
    return null;
  }
  return ms;
}

function number(problems: Problems, at: Located, field: string, min: number, max: number): number | null {
  const v = at.value;
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    problems.report(at, field, `must be a number (got ${describeValue(v)})`);
    return null;
  }
  if (v < min || v > max) {
    problems.report(at, field, `must be between ${min} and ${max} (got ${v})`);
    return null;
  }
  return v;
}

function oneOf<T extends string>(problems: Problems, at: Located, field: string, allowed: readonly T[]): T | null {
  if (typeof at.value === 'string' && (allowed as readonly string[]).includes(at.value)) return at.value as T;
  const guess = typeof at.value === 'string' ? didYouMean(at.value, allowed) : undefined;
  problems.report(at, field, `must be ${allowed.map((a) => `'${a}'`).join(', ')} (got ${describeValue(at.value)})${guess ? `; did you mean '${guess}'?` : ''}`);
  return null;
}

function kindList(problems: Problems, at: Located, field: string, allowEmpty: boolean): IdentityKind[] | null {
  const list = Array.isArray(at.value) ? at.value : [at.value];
  if (list.length === 0 && !allowEmpty) {
    problems.report(at, field, 'must name at least one identity kind');
    return null;
  }
  const kinds: IdentityKind[] = [];
  for (let i = 0; i < list.length; i++) {
    const itemAt: Located = Array.isArray(at.value) ? { ...at, value: list[i], path: [...at.path, i] } : at;
    const kind = oneOf(problems, itemAt, Array.isArray(at.value) ? `${field}[${i}]` : field, IDENTITY_KINDS);
    if (kind === null) return null;
    if (kinds.includes(kind)) {
      problems.report(itemAt, `${field}[${i}]`, `'${kind}' is listed twice`);
      return null;
    }
    kinds.push(kind);
  }
  return kinds;
}

export function formatMs(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

// ---------------------------------------------------------------------------
// conditions

interface ConditionContext {
  scope: RuleScope;
  windowMs: number | null;
  /** attribution conditions: plain min/max on one identity's features */
  isAttribution: boolean;
}

function conditions(problems: Problems, at: Located, field: string, context: ConditionContext): Conjunction[] | null {
  const isList = Array.isArray(at.value);
  const items = isList ? (at.value as unknown[]) : [at.value];
  if (items.length === 0) {
    problems.report(at, field, 'must list at least one set of conditions');
    return null;
  }
  const result: Conjunction[] = [];
  let isValid = true;
  items.forEach((item, j) => {
    const itemAt: Located = isList ? { value: item, source: at.source, path: [...at.path, j] } : at;
    const itemField = isList ? `${field}[${j}]` : field;
    if (!isRecord(item) || Object.keys(item).length === 0) {
      problems.report(itemAt, itemField, `must be a mapping of feature → condition, e.g. { missRatio: { min: 0.5 } } (got ${describeValue(item)})`);
      isValid = false;
      return;
    }
    const conjunction: Condition[] = [];
    for (const [feature, spec] of Object.entries(item)) {
      const featureAt: Located = { value: spec, source: at.source, path: [...itemAt.path, feature] };
      const featureField = `${itemField}.${feature}`;
      const condition = condition1(problems, featureAt, featureField, feature, context);
      if (condition === null) isValid = false;
      else conjunction.push(condition);
    }
    result.push(conjunction);
  });
  return isValid ? result : null;
}

function condition1(problems: Problems, at: Located, field: string, feature: string, context: ConditionContext): Condition | null {
  if (!(FEATURE_NAMES as string[]).includes(feature)) {
    unknownKey(problems, at, field, feature, FEATURE_NAMES);
    return null;
  }
  const name = feature as FeatureName;
  const def = FEATURES[name];
  if (context.scope === 'operation' && !context.isAttribution && !def.isOperationFeature) {
    problems.report(at, field, `'${name}' is a per-client feature; a rule 'on: operation' counts all clients together`, 'key');
    return null;
  }
  if (!isRecord(at.value) || Object.keys(at.value).length === 0) {
    problems.report(at, field, `must be a mapping with min, max, sigma or factor (got ${describeValue(at.value)})`);
    return null;
  }
  const spec = at.value;
  const condition: Condition = { feature: name, def, min: null, max: null, sigma: null, factor: null, overMs: null };
  let isValid = true;
  const upper = def.kind === 'ratio' ? 1 : Number.MAX_SAFE_INTEGER;
  for (const [key, value] of Object.entries(spec)) {
    const keyAt: Located = { value, source: at.source, path: [...at.path, key] };
    const keyField = `${field}.${key}`;
    if (!CONDITION_KEYS.includes(key)) {
      unknownKey(problems, keyAt, keyField, key, CONDITION_KEYS);
      isValid = false;
      continue;
    }
    if (key === 'min' || key === 'max') {
      const n = number(problems, keyAt, keyField, 0, upper);
      if (n === null) isValid = false;
      else condition[key] = n;
    } else if (key === 'sigma') {
      if (context.scope !== 'operation' || context.isAttribution) {
        problems.report(keyAt, keyField, "sigma compares with an operation's learned baseline: only rules 'on: operation' have one (an identity can use factor with over)", 'key');
        isValid = false;
        continue;
      }
      const n = number(problems, keyAt, keyField, 0.5, 1000);
      if (n === null) isValid = false;
      else condition.sigma = n;
    } else if (key === 'factor') {
      if (context.isAttribution) {
        problems.report(keyAt, keyField, 'attribution conditions take min and max only', 'key');
        isValid = false;
        continue;
      }
      const n = number(problems, keyAt, keyField, 1, 1e6);
      if (n === null) isValid = false;
      else condition.factor = n;
    } else {
      if (context.scope === 'operation' || context.isAttribution) {
        problems.report(keyAt, keyField, "over sets an identity's own baseline window; operation rules compare with their learned baseline", 'key');
        isValid = false;
        continue;
      }
      if (def.kind === 'distinct' || def.kind === 'cv') {
        problems.report(keyAt, keyField, `over compares rates: it needs a count, volume or ratio, not ${def.kind === 'cv' ? 'gapCv' : 'a distinct count'}`, 'key');
        isValid = false;
        continue;
      }
      const ms = duration(problems, keyAt, keyField);
      if (ms === null) isValid = false;
      else if (context.windowMs !== null && ms <= context.windowMs) {
        problems.report(keyAt, keyField, `must be longer than the rule's window (${formatMs(context.windowMs)})`);
        isValid = false;
      } else condition.overMs = ms;
    }
  }
  if (!isValid) return null;
  if (condition.min === null && condition.max === null && condition.sigma === null && condition.factor === null) {
    problems.report(at, field, 'needs min, max, sigma or factor');
    return null;
  }
  if (condition.factor !== null && context.scope !== 'operation' && condition.overMs === null) {
    problems.report(at, field, "factor on an identity needs 'over' (the longer window that is its own baseline)");
    return null;
  }
  if (condition.overMs !== null && condition.factor === null) {
    problems.report(at, field, "'over' is only read with factor");
    return null;
  }
  if (condition.min !== null && condition.max !== null && condition.min > condition.max) {
    problems.report(at, field, `min (${condition.min}) is above max (${condition.max}): it can never hold`);
    return null;
  }
  return condition;
}

// ---------------------------------------------------------------------------
// drafts → rules

function compileDraft(draft: Draft, problems: Problems): CompiledRule | null {
  const f = draft.fields;
  const field = (key: string) => `rules[${draft.name}].${key}`;
  const origin = `${draft.at.source.file}:${draft.at.source.position(draft.at.path).line}`;
  let isValid = true;
  const need = (key: string): Located | null => {
    const at = f.get(key);
    if (at === undefined) {
      problems.report(draft.at, field(key), `is required (this rule is not a built-in, so it must be complete)`);
      isValid = false;
      return null;
    }
    return at;
  };

  const enabledAt = f.get('enabled');
  if (enabledAt && typeof enabledAt.value !== 'boolean') {
    problems.report(enabledAt, field('enabled'), `must be true or false (got ${describeValue(enabledAt.value)})`);
    return null;
  }
  const isEnabled = enabledAt?.value !== false;

  const descriptionAt = f.get('description');
  if (descriptionAt && typeof descriptionAt.value !== 'string') {
    problems.report(descriptionAt, field('description'), `must be a string (got ${describeValue(descriptionAt.value)})`);
    isValid = false;
  }

  // scope
  const onAt = need('on');
  let scope: RuleScope = 'identity';
  let kinds: IdentityKind[] = [];
  if (onAt) {
    if (onAt.value === 'operation') scope = 'operation';
    else {
      const list = kindList(problems, onAt, field('on'), false);
      if (list === null) {
        isValid = false;
      } else kinds = list;
    }
  }
  const perOperationAt = f.get('perOperation');
  if (perOperationAt) {
    if (typeof perOperationAt.value !== 'boolean') {
      problems.report(perOperationAt, field('perOperation'), `must be true or false (got ${describeValue(perOperationAt.value)})`);
      isValid = false;
    } else if (perOperationAt.value && scope === 'operation') {
      problems.report(perOperationAt, field('perOperation'), "has no meaning for a rule 'on: operation'");
      isValid = false;
    } else if (perOperationAt.value) scope = 'pair';
  }

  // window
  const windowAt = need('window');
  let windowMs: number | null = null;
  if (windowAt) {
    windowMs = duration(problems, windowAt, field('window'));
    if (windowMs === null) isValid = false;
    else if (scope === 'operation' && (windowMs % MINUTE !== 0 || windowMs > MAX_OPERATION_WINDOW)) {
      problems.report(windowAt, field('window'), `an operation rule counts whole minutes: use 1m to 60m (got ${formatMs(windowMs)})`);
      isValid = false;
    }
  }

  // when
  const whenAt = need('when');
  let when: Conjunction[] | null = null;
  if (whenAt && onAt) {
    when = conditions(problems, whenAt, field('when'), { scope, windowMs, isAttribution: false });
    if (when === null) isValid = false;
  }

  // severity
  const severityAt = f.get('severity');
  const severity = severityAt ? oneOf(problems, severityAt, field('severity'), SEVERITIES) : 'medium';
  if (severity === null) isValid = false;

  // decision
  const actionAt = f.get('decision.action');
  const action = actionAt ? oneOf(problems, actionAt, field('decision.action'), ACTIONS) : 'alert';
  if (action === null) isValid = false;
  let durationsMs: number[] = [3_600_000];
  const durationAt = f.get('decision.duration');
  if (durationAt) {
    const list = Array.isArray(durationAt.value) ? durationAt.value : [durationAt.value];
    if (list.length === 0 || list.length > 10) {
      problems.report(durationAt, field('decision.duration'), 'must be a duration, or a list of 1 to 10 durations (one per escalation level)');
      isValid = false;
    } else {
      const parsed = list.map((v, i) => duration(problems, Array.isArray(durationAt.value) ? { ...durationAt, value: v, path: [...durationAt.path, i] } : durationAt,
        Array.isArray(durationAt.value) ? `${field('decision.duration')}[${i}]` : field('decision.duration'), 1000, 30 * 86_400_000));
      if (parsed.some((p) => p === null)) isValid = false;
      else durationsMs = parsed as number[];
    }
  }
  let delayMs = 0;
  const delayAt = f.get('decision.delay');
  if (action === 'delay') {
    if (!delayAt) {
      problems.report(actionAt ?? draft.at, field('decision.delay'), "is required for action 'delay' (the wait added to each request, e.g. 2s)");
      isValid = false;
    } else {
      const ms = duration(problems, delayAt, field('decision.delay'), 1, 60_000);
      if (ms === null) isValid = false;
      else delayMs = ms;
    }
  } else if (delayAt && action !== null) {
    problems.report(delayAt, field('decision.delay'), `is only read for action 'delay' (this rule's action is '${action}')`, 'key');
    isValid = false;
  }
  const modeAt = f.get('decision.mode');
  const mode = modeAt ? oneOf(problems, modeAt, field('decision.mode'), ['dryRun', 'enforce'] as const) : 'enforce';
  if (mode === null) isValid = false;
  const resetAt = f.get('decision.resetAfter');
  let resetAfterMs = 86_400_000;
  if (resetAt) {
    const ms = duration(problems, resetAt, field('decision.resetAfter'), 60_000, 30 * 86_400_000);
    if (ms === null) isValid = false;
    else resetAfterMs = ms;
  }

  // attribution
  let attribute: Attribution | null = null;
  const attributeAt = f.get('attribute');
  if (attributeAt) {
    if (scope !== 'operation') {
      problems.report(attributeAt, field('attribute'), "only rules 'on: operation' attribute (identity rules act on the identity itself)", 'key');
      isValid = false;
    } else {
      attribute = compileAttribution(draft, problems);
      if (attribute === null) isValid = false;
    }
  }
  if (scope === 'operation' && action !== null && action !== 'alert' && attributeAt === undefined) {
    problems.report(actionAt ?? draft.at, field('decision.action'), `an operation cannot be ${action === 'ban' ? 'banned' : action === 'block' ? 'blocked' : 'delayed'}: add 'attribute' to name the clients behind it, or use 'alert'`);
    isValid = false;
  }

  if (!isValid || !isEnabled) return null;
  return {
    name: draft.name,
    description: typeof descriptionAt?.value === 'string' ? descriptionAt.value : '',
    scope,
    kinds,
    windowMs: windowMs!,
    when: when!,
    severity: severity!,
    action: action!,
    durationsMs,
    delayMs,
    dryRun: mode === 'dryRun',
    resetAfterMs,
    attribute,
    origin,
  };
}

function compileAttribution(draft: Draft, problems: Problems): Attribution | null {
  const f = draft.fields;
  const field = (key: string) => `rules[${draft.name}].attribute.${key}`;
  let isValid = true;
  const windowAt = f.get('attribute.window');
  let windowMs = 10 * MINUTE;
  if (windowAt) {
    const ms = duration(problems, windowAt, field('window'), MINUTE, MAX_OPERATION_WINDOW);
    if (ms === null) isValid = false;
    else windowMs = ms;
  }
  const kindsAt = f.get('attribute.kinds');
  let kinds: IdentityKind[] = ['ip', 'subnet', 'fingerprint'];
  if (kindsAt) {
    const list = kindList(problems, kindsAt, field('kinds'), false);
    if (list === null) isValid = false;
    else kinds = list;
  }
  const fallbackAt = f.get('attribute.fallback');
  let fallback: IdentityKind[] = [];
  if (fallbackAt) {
    const list = kindList(problems, fallbackAt, field('fallback'), true);
    if (list === null) isValid = false;
    else {
      const both = list.find((k) => kinds.includes(k));
      if (both) {
        problems.report(fallbackAt, field('fallback'), `'${both}' is in kinds already`);
        isValid = false;
      } else fallback = list;
    }
  }
  const coverageAt = f.get('attribute.coverage');
  let coverage = 0.5;
  if (coverageAt) {
    const n = number(problems, coverageAt, field('coverage'), 0.01, 1);
    if (n === null) isValid = false;
    else coverage = n;
  }
  const byAt = f.get('attribute.by');
  let by: FeatureName = 'misses';
  if (byAt) {
    const countFeatures = FEATURE_NAMES.filter((n) => FEATURES[n].kind === 'count' || FEATURES[n].kind === 'volume');
    const name = oneOf(problems, byAt, field('by'), countFeatures);
    if (name === null) isValid = false;
    else by = name;
  }
  const whenAt = f.get('attribute.when');
  let when: Conjunction[] | null = null;
  if (!whenAt) {
    problems.report(f.get('attribute')!, field('when'), "is required: what one client's own traffic on the operation must show to be named (e.g. { misses: { min: 8 }, missRatio: { min: 0.6 } })");
    isValid = false;
  } else {
    when = conditions(problems, whenAt, field('when'), { scope: 'pair', windowMs, isAttribution: true });
    if (when === null) isValid = false;
  }
  if (!isValid) return null;
  return { windowMs, kinds, fallback, coverage, by, byCounter: FEATURES[by].counters[0]!, when: when! };
}

function compileSettings(settings: Map<string, Located>, problems: Problems): DetectSettings {
  const result = {
    missStatuses: new Set([404]) as ReadonlySet<number>,
    missStatusesByOperation: new Map<string, ReadonlySet<number>>(),
    sequentialDelta: 16,
    baselineHalfLifeMs: 60 * MINUTE,
    baselineWarmupMs: 30 * MINUTE,
  };
  const statuses = (at: Located, field: string): Set<number> | null => {
    if (!Array.isArray(at.value) || at.value.length === 0) {
      problems.report(at, field, `must be a list of HTTP statuses, e.g. [404] (got ${describeValue(at.value)})`);
      return null;
    }
    const set = new Set<number>();
    for (let i = 0; i < at.value.length; i++) {
      const n = number(problems, { ...at, value: at.value[i], path: [...at.path, i] }, `${field}[${i}]`, 100, 599);
      if (n === null || !Number.isInteger(n)) return null;
      set.add(n);
    }
    return set;
  };
  for (const [key, at] of settings) {
    if (key === 'missStatuses') {
      const set = statuses(at, 'settings.missStatuses');
      if (set) result.missStatuses = set;
    } else if (key === 'sequentialDelta') {
      const n = number(problems, at, 'settings.sequentialDelta', 1, 1e6);
      if (n !== null) result.sequentialDelta = n;
    } else if (key === 'baseline.halfLife') {
      const ms = duration(problems, at, 'settings.baseline.halfLife', MINUTE, 7 * 86_400_000);
      if (ms !== null) result.baselineHalfLifeMs = ms;
    } else if (key === 'baseline.warmup') {
      const ms = duration(problems, at, 'settings.baseline.warmup', MINUTE, 7 * 86_400_000);
      if (ms !== null) result.baselineWarmupMs = ms;
    } else if (key.startsWith('operations.')) {
      const operation = key.slice('operations.'.length);
      const field = `settings.operations[${operation}]`;
      if (!isRecord(at.value)) {
        problems.report(at, field, `must be a mapping like { missStatuses: [404] } (got ${describeValue(at.value)})`);
        continue;
      }
      for (const sub of Object.keys(at.value)) {
        const subAt: Located = { value: at.value[sub], source: at.source, path: [...at.path, sub] };
        if (sub !== 'missStatuses') {
          unknownKey(problems, subAt, `${field}.${sub}`, sub, ['missStatuses']);
          continue;
        }
        const set = statuses(subAt, `${field}.missStatuses`);
        if (set) result.missStatusesByOperation.set(operation, set);
      }
    }
  }
  return result;
}

// ---------------------------------------------------------------------------
// entry points

/**
 * Compiles rule files in order: the built-ins first (unless `builtins` is
 * false), then each file, which tunes or disables rules by name or adds
 * new ones. Throws PolicyError (code CONFIG_INVALID) listing every problem.
 */
export function compileRules(files: readonly RuleText[], options: { builtins?: boolean } = {}): RuleSet {
  const texts = options.builtins === false ? files : [{ file: BUILTIN_RULES_FILE, text: BUILTIN_RULES_YAML }, ...files];
  const sources = texts.map((t) => new RuleSource(t.file, t.text));
  const problems = new Problems();
  const { drafts, settings } = mergeSources(sources, problems);
  const rules: CompiledRule[] = [];
  for (const draft of drafts.values()) {
    const rule = compileDraft(draft, problems);
    if (rule) rules.push(rule);
  }
  const compiledSettings = compileSettings(settings, problems);
  if (problems.list.length > 0) throw new PolicyError(problems.list);
  return Object.freeze({ rules: Object.freeze(rules), settings: compiledSettings });
}

/** Reads and compiles rule files (paths relative to the working directory). */
export async function loadRules(paths: readonly string[], options: { builtins?: boolean } = {}): Promise<RuleSet> {
  const files: RuleText[] = [];
  const problems: PolicyProblem[] = [];
  for (const path of paths) {
    const file = resolve(path);
    try {
      files.push({ file, text: await readFile(file, 'utf8') });
    } catch (err) {
      problems.push({ file, line: 0, column: 0, field: '', message: `cannot read the rules file: ${(err as Error).message}` });
    }
  }
  if (problems.length > 0) throw new PolicyError(problems);
  return compileRules(files, options);
}

let builtins: RuleSet | null = null;

/** The built-in rules alone (compiled once). */
export function builtinRules(): RuleSet {
  builtins ??= compileRules([]);
  return builtins;
}
