/**
 * Compiling rate-limit rules against the loaded documents: which rules apply
 * to which operation (and to shadow or unknown traffic), each operation's
 * cost, and the rules attached to operations with `x-apiwarden-rate-limit`.
 * Built once per plan; the request path only looks up.
 */
import { Ajv } from 'ajv';
import type { RateLimitRule, RateLimitsConfig, RateLimitWindow } from '../config/types.ts';
import { parseRateLimitRule } from '../config/rate-limits.ts';
import { rateLimitRuleSchema } from '../config/schema.ts';
import { compileCidrSet, type CidrSet } from '../http/cidr.ts';
import type { Operation } from '../openapi/types.ts';
import type { RequestClass } from '../events/types.ts';
import type { WindowAlgorithm } from './types.ts';

/** One window of a rule, ready to become a LimitCheck. */
export interface CompiledWindow {
  /** stable id, part of the storage key: "<rule>#<n>", "<rule>@<plan>#<n>", "<rule>#distinct" */
  id: string;
  algorithm: WindowAlgorithm;
  limit: number;
  periodMs: number;
  burst: number;
}

export interface CompiledRule {
  readonly rule: RateLimitRule;
  readonly windows: readonly CompiledWindow[];
  /** windows by plan name (tiers); a principal on that plan gets these instead of `windows` */
  readonly tiers: ReadonlyMap<string, readonly CompiledWindow[]>;
  readonly distinct: CompiledWindow | null;
  readonly needsBody: boolean;
}

export interface LimiterPlan {
  readonly config: RateLimitsConfig;
  readonly allow: CidrSet;
  readonly hasRules: boolean;
  /** the rules that apply to a request, in policy order (operation rules after the policy's) */
  rulesFor(upstream: string, cls: RequestClass, operation: Operation | null, method: string): readonly CompiledRule[];
  /** the weight of an operation (costs, x-apiwarden-cost), 1 by default */
  costOf(operation: Operation | null): number;
  readonly warnings: readonly string[];
}

/** Below a minute GCRA (burst and steady rate); from a minute up a sliding window counter, unless a burst is given. */
const GCRA_BELOW_MS = 60_000;

export function compileWindow(id: string, w: RateLimitWindow): CompiledWindow {
  const gcra = w.burst !== null || w.periodMs < GCRA_BELOW_MS;
  return { id, algorithm: gcra ? 'gcra' : 'sliding', limit: w.limit, periodMs: w.periodMs, burst: w.burst ?? w.limit };
}

function compileRule(rule: RateLimitRule): CompiledRule {
  const tiers = new Map<string, CompiledWindow[]>();
  for (const [plan, windows] of Object.entries(rule.tiers)) {
    tiers.set(plan, windows.map((w, i) => compileWindow(`${rule.name}@${plan}#${i}`, w)));
  }
  const distinct = rule.distinct
    ? { id: `${rule.name}#distinct`, algorithm: 'distinct' as const, limit: rule.distinct.limit, periodMs: rule.distinct.periodMs, burst: 1 }
    : null;
  return {
    rule,
    windows: rule.windows.map((w, i) => compileWindow(`${rule.name}#${i}`, w)),
    tiers,
    distinct,
    needsBody: rule.key.some((k) => k.source === 'body') || rule.distinct?.of.source === 'body',
  };
}

export function operationMatches(ref: string, op: Operation): boolean {
  return ref === op.operationId || ref === `${op.method} ${op.template}` || ref === `${op.method} ${op.documentPath}`;
}

function ruleMatches(rule: RateLimitRule, upstream: string, cls: RequestClass, op: Operation | null, method: string): boolean {
  const m = rule.match;
  if (m.upstreams.length > 0 && !m.upstreams.includes(upstream)) return false;
  if (m.classes.length > 0 && !(m.classes as string[]).includes(cls)) return false;
  if (m.methods.length > 0 && !m.methods.includes(method)) return false;
  if (m.operations.length > 0 && (op === null || !m.operations.some((ref) => operationMatches(ref, op)))) return false;
  if (m.tags.length > 0 && (op === null || !m.tags.some((t) => op.tags.includes(t)))) return false;
  return true;
}

const validateRule = new Ajv({ allErrors: true, useDefaults: true, allowUnionTypes: true, strict: false }).compile(rateLimitRuleSchema);

/**
 * Rules written on an operation (`x-apiwarden-rate-limit`: one rule or a
 * list, without `match`): checked with the policy file's schema; a bad one
 * stops the plan with the document and operation named.
 */
function operationRules(op: Operation): RateLimitRule[] {
  const ext = op.extensions['x-apiwarden-rate-limit'];
  if (ext === undefined) return [];
  const list = Array.isArray(ext) ? ext : [ext];
  const where = `${op.source}: ${op.method} ${op.template}: x-apiwarden-rate-limit`;
  return list.map((item, i) => {
    const raw = { name: `${op.operationId}${list.length > 1 ? `.${i}` : ''}`, ...(item as Record<string, unknown>) };
    if ('match' in raw) throw new Error(`${where}: a rule on an operation has no 'match' (it applies to this operation)`);
    if (!validateRule(raw)) {
      const first = validateRule.errors?.[0];
      throw new Error(`${where}${list.length > 1 ? `[${i}]` : ''}${first?.instancePath ?? ''}: ${first?.message ?? 'invalid rule'}`);
    }
    const problems: string[] = [];
    const rule = parseRateLimitRule(raw, [], `x-apiwarden-rate-limit of ${op.operationId}`, {
      report: (path, message) => problems.push(`${path.join('.')}${path.length > 0 ? ': ' : ''}${message}`),
    });
    if (!rule) throw new Error(`${where}: ${problems.join('; ')}`);
    return rule;
  });
}

export function compileLimiterPlan(config: RateLimitsConfig, upstreams: ReadonlyArray<{ name: string; operations: readonly Operation[] }>): LimiterPlan {
  const warnings: string[] = [];
  const global = config.rules.map(compileRule);
  // per operation, the rules for its two possible classes (a deprecated operation's requests are 'zombie')
  const byOperation = new Map<Operation, { documented: CompiledRule[]; zombie: CompiledRule[] }>();
  const names = new Set(config.rules.map((r) => r.name));
  const costs = new Map<Operation, number>();

  for (const upstream of upstreams) {
    for (const op of upstream.operations) {
      const attached = operationRules(op).map(compileRule);
      for (const r of attached) {
        if (names.has(r.rule.name)) throw new Error(`${op.source}: ${op.method} ${op.template}: x-apiwarden-rate-limit: rule name '${r.rule.name}' is already used; give it another name`);
        names.add(r.rule.name);
      }
      byOperation.set(op, {
        documented: [...global.filter((r) => ruleMatches(r.rule, upstream.name, 'documented', op, op.method)), ...attached],
        zombie: [...global.filter((r) => ruleMatches(r.rule, upstream.name, 'zombie', op, op.method)), ...attached],
      });
      const ext = op.extensions['x-apiwarden-cost'];
      const cost = Object.entries(config.costs).find(([ref]) => operationMatches(ref, op))?.[1] ?? (typeof ext === 'number' && Number.isInteger(ext) && ext >= 1 ? ext : 1);
      costs.set(op, cost);
    }
  }
  for (const [i, rule] of config.rules.entries()) {
    for (const ref of rule.match.operations) {
      const known = upstreams.some((u) => u.operations.some((op) => operationMatches(ref, op)));
      if (!known) warnings.push(`rateLimits.rules[${i}] ('${rule.name}'): no operation '${ref}' in the documents; the rule matches nothing there`);
    }
  }
  for (const ref of Object.keys(config.costs)) {
    if (!upstreams.some((u) => u.operations.some((op) => operationMatches(ref, op)))) warnings.push(`rateLimits.costs: no operation '${ref}' in the documents`);
  }

  // non-operation traffic (shadow, unknown, zombie prefixes): a small cache by upstream, class and method
  const other = new Map<string, CompiledRule[]>();
  return {
    config,
    allow: compileCidrSet(config.allow),
    hasRules: global.length > 0 || [...byOperation.values()].some((r) => r.documented.length > 0),
    warnings,
    rulesFor(upstream, cls, operation, method) {
      if (operation !== null && (cls === 'documented' || cls === 'zombie')) {
        const rules = byOperation.get(operation);
        if (rules) return rules[cls];
      }
      const key = `${upstream}\u0000${cls}\u0000${method}`;
      let rules = other.get(key);
      if (!rules) {
        rules = global.filter((r) => ruleMatches(r.rule, upstream, cls, operation, method));
        // methods come from a parsed request line (a known set), classes and upstreams from the plan: bounded
        if (other.size < 10_000) other.set(key, rules);
      }
      return rules;
    },
    costOf(operation) {
      return operation === null ? 1 : (costs.get(operation) ?? 1);
    },
  };
}
