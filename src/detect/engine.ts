/**
 * The detector: observe() counts each request into the windows of the
 * identities it belongs to (address, subnet, fingerprint, key, principal),
 * of those identities on its operation, and of the operation itself;
 * evaluate() runs the rules every few seconds over what changed and answers
 * with decisions (for the limiter) and alert signals (for src/alerts).
 *
 * Time is the events' own (epoch ms): a simulated clock and a replayed log
 * work like live traffic. Memory is bounded by maxIdentities per kind (LRU),
 * maxOperationsPerIdentity, maxOperations and maxRemembered; size() reports
 * where it stands.
 */
import { LRUCache } from 'lru-cache';
import { attribute, type Named } from './attribution.ts';
import { C, COUNTER_COUNT, countEvent, numericIdentifier } from './features.ts';
import { hashMember } from './hash.ts';
import { IdentityStore, type IdentityEntry, type PairEntry, type Sequenced } from './identity-store.ts';
import { DecisionMemory } from './memory.ts';
import { MINUTE_MS, OperationStats } from './operation-stats.ts';
import { compilePlan, type DetectorPlan, type KindPlan } from './plan.ts';
import { evidenceOf, firstMatch, OperationReader, round, WindowReader } from './readers.ts';
import { formatMs, type CompiledRule, type RuleSet } from './rules.ts';
import type { Decision, DetectEvent, EvaluationResult, ExampleRequest, Identity, IdentityKind } from './types.ts';
import type { EventMembers } from './windows.ts';

export interface DetectorOptions {
  rules: RuleSet;
  /** epoch ms; evaluate() without an argument reads it (default Date.now) */
  clock?: () => number;
  /** tracked identities per kind (default 20,000 each: ~1.3 KB per identity seen once, ~3 KB per enumerator), or per kind */
  maxIdentities?: number | Partial<Record<IdentityKind, number>>;
  /** operations tracked per identity (default 8) */
  maxOperationsPerIdentity?: number;
  /** operations tracked (default 2,000) */
  maxOperations?: number;
  /** (rule, identity) decisions remembered (default 100,000) */
  maxRemembered?: number;
  /** sub-buckets per window (default 4: a 10-minute window slides by 2.5 minutes) */
  subBuckets?: number;
  /** seed of the identifier hash (default random) */
  hashSeed?: number;
}

export interface DetectorSize {
  identities: Record<IdentityKind, number>;
  /** identity × operation entries */
  pairs: number;
  operations: number;
  remembered: number;
  evictions: number;
  /** estimate of the bytes held by identities, pairs and operations */
  approxBytes: number;
}

export interface Detector {
  readonly plan: DetectorPlan;
  // hot path
  observe(event: DetectEvent): void;
  /** runs the rules at `now` (default: the clock) */
  evaluate(now?: number): EvaluationResult;
  /** tracked state (walks every entry for approxBytes: for diagnostics, not per request) */
  size(): DetectorSize;
}

const DEFAULT_MAX_IDENTITIES = 20_000;
const MAX_IDENTIFIERS_PER_EVENT = 8;
const EXAMPLES_PER_SIGNAL = 5;
const TOP_IDENTITIES = 10;
/** events earlier than the first one by up to a day still count (replayed logs are not sorted) */
const ORIGIN_MARGIN_MS = 86_400_000;

export function createDetector(options: DetectorOptions): Detector {
  const ruleSet = options.rules;
  const settings = ruleSet.settings;
  const plan = compilePlan(ruleSet, options.subBuckets ?? 4);
  const clock = options.clock ?? Date.now;
  const maxPerIdentity = options.maxOperationsPerIdentity ?? 8;
  const seed = options.hashSeed ?? (Math.random() * 2 ** 32) >>> 0;
  const memory = new DecisionMemory(options.maxRemembered ?? 100_000);

  const maxFor = (kind: IdentityKind): number => {
    const m = options.maxIdentities;
    return typeof m === 'number' ? m : (m?.[kind] ?? DEFAULT_MAX_IDENTITIES);
  };
  const stores = new Map<IdentityKind, IdentityStore>(plan.kinds.map((k) => [k.kind, new IdentityStore(k.kind, maxFor(k.kind), k.identityLayout, k.pairLayout)]));
  const kindPlans = plan.kinds.map((k) => ({ plan: k, store: stores.get(k.kind)! }));
  // the operation seen least recently goes first; its pairs die with it (isAlive)
  const operations = new LRUCache<string, OperationStats<PairEntry>>({
    max: options.maxOperations ?? 2000,
    dispose: (op) => {
      op.isEvicted = true;
    },
  });
  const operationOptions = {
    minutes: plan.operationMinutes,
    members: plan.operationMembers,
    halfLifeMinutes: settings.baselineHalfLifeMs / MINUTE_MS,
    warmupMinutes: settings.baselineWarmupMs / MINUTE_MS,
  };
  // contributors are pushed at most this often per pair: the ring keeps many clients, not many requests of one
  const pushEveryMs = Math.min(...ruleSet.rules.map((r) => r.attribute?.windowMs ?? Infinity), 600_000) / 8;
  const attributionCounters = plan.attributionCounters;

  // scratch state reused by every observe (no allocation per request)
  const increments = new Float64Array(COUNTER_COUNT);
  const members: EventMembers = { identifiers: new Uint32Array(MAX_IDENTIFIERS_PER_EVENT), identifierCount: 0, account: 0, hasAccount: false, subnet: 0 };
  let origin = NaN;
  let mark = 0;
  // what changed since the last evaluation; evicted entries are dropped when
  // the lists outgrow the live ones, so a flood of new addresses between two
  // evaluations retains no more than that
  const dirtyIdentities: IdentityEntry[] = [];
  const dirtyPairs: PairEntry[] = [];
  const dirtyLimit = 2 * plan.kinds.reduce((sum, k) => sum + maxFor(k.kind), 0) + 1024;
  const dropEvicted = (list: (IdentityEntry | PairEntry)[]): void => {
    let kept = 0;
    for (const item of list) if ('isEvicted' in item ? !item.isEvicted : item.isAlive) list[kept++] = item;
    list.length = kept;
  };

  const relative = (time: number): number => {
    if (Number.isNaN(origin)) origin = Math.floor((time - ORIGIN_MARGIN_MS) / ORIGIN_MARGIN_MS) * ORIGIN_MARGIN_MS;
    return Math.max(0, time - origin);
  };

  // hot path: one lookup
  function operationOf(name: string, time: number): OperationStats<PairEntry> {
    let op = operations.get(name);
    if (op !== undefined) return op;
    op = new OperationStats<PairEntry>(name, operationOptions);
    op.lastSeen = time;
    operations.set(name, op);
    return op;
  }

  /** sets the per-entry counters (gaps, sequence) of `increments` from the entry's previous request */
  // hot path
  function sequence(entry: Sequenced, time: number, numeric: number): void {
    const last = entry.lastTime;
    if (last >= 0 && time >= last) {
      const gap = (time - last) / 1000;
      increments[C.gapCount] = 1;
      increments[C.gapSum] = gap;
      increments[C.gapSquares] = gap * gap;
    } else {
      increments[C.gapCount] = 0;
      increments[C.gapSum] = 0;
      increments[C.gapSquares] = 0;
    }
    if (time >= last) entry.lastTime = time;
    if (!Number.isNaN(numeric)) {
      const previous = entry.lastNumeric;
      if (!Number.isNaN(previous)) {
        increments[C.numericPairs] = 1;
        const delta = Math.abs(numeric - previous);
        increments[C.sequential] = delta > 0 && delta <= settings.sequentialDelta ? 1 : 0;
      } else {
        increments[C.numericPairs] = 0;
        increments[C.sequential] = 0;
      }
      entry.lastNumeric = numeric;
    } else {
      increments[C.numericPairs] = 0;
      increments[C.sequential] = 0;
    }
  }

  function valueOf(event: DetectEvent, kind: IdentityKind): string | null {
    switch (kind) {
      case 'ip':
        return event.clientIp;
      case 'subnet':
        return event.subnet;
      case 'apikey':
        return event.apiKey;
      case 'principal':
        // an API key is its own kind (apikey): a key may ship inside every copy of an app
        return event.principal !== null && !event.principal.startsWith('apikey:') ? event.principal : null;
      case 'fingerprint':
        return event.fingerprint;
    }
  }

  // hot path: a handful of Map lookups and typed-array adds; allocation only for new identities
  function observe(event: DetectEvent): void {
    const time = relative(event.time);
    countEvent(event, settings, increments);
    const identifiers = event.identifiers;
    const count = Math.min(identifiers.length, MAX_IDENTIFIERS_PER_EVENT);
    for (let i = 0; i < count; i++) members.identifiers[i] = hashMember(seed, identifiers[i]!);
    members.identifierCount = count;
    members.hasAccount = event.account !== null;
    members.account = event.account !== null ? hashMember(seed, event.account) : 0;
    members.subnet = hashMember(seed, event.subnet);
    const numeric = plan.needsSequence ? numericIdentifier(event) : NaN;
    const operation = event.operation !== null ? operationOf(event.operation, time) : null;
    operation?.add(time, increments, members);
    let isContribution = false;
    for (let i = 0; i < attributionCounters.length; i++) if (increments[attributionCounters[i]!]! > 0) isContribution = true;
    const isInteresting = increments[C.misses]! > 0 || event.isAuthFailure || event.status >= 400;

    for (let k = 0; k < kindPlans.length; k++) {
      const { plan: kindPlan, store } = kindPlans[k]!;
      const value = valueOf(event, kindPlan.kind);
      if (value === null) continue;
      const entry = store.touch(value, time);
      if (entry.windows !== null) {
        sequence(entry, time, numeric);
        entry.windows.add(time, increments, members);
        if (entry.dirtyMark !== mark) {
          entry.dirtyMark = mark;
          if (dirtyIdentities.length >= dirtyLimit) dropEvicted(dirtyIdentities);
          dirtyIdentities.push(entry);
        }
      }
      entry.keepExample(event, isInteresting);
      if (operation !== null && kindPlan.pairLayout !== null) {
        const pair = entry.pair(operation, kindPlan.pairLayout, store.pairSlab!, maxPerIdentity, time);
        sequence(pair, time, numeric);
        pair.windows.add(time, increments, members);
        if (pair.dirtyMark !== mark) {
          pair.dirtyMark = mark;
          if (dirtyPairs.length >= dirtyLimit) dropEvicted(dirtyPairs);
          dirtyPairs.push(pair);
        }
        if (isContribution && kindPlan.isAttributed && time - pair.lastPushed >= pushEveryMs) {
          pair.lastPushed = time;
          operation.pushContributor(kindPlan.kind, pair);
        }
      }
    }
  }

  // ------------------------------------------------------------------------
  // evaluation

  const windowReader = new WindowReader();
  const pairReader = new WindowReader();
  const operationReader = new OperationReader();

  function banKeyOf(identity: Identity): string | null {
    switch (identity.kind) {
      case 'operation':
        return null;
      case 'principal':
        return `principal:${identity.value}`;
      default:
        return `${identity.kind}:${identity.value}`;
    }
  }

  function examplesOf(entries: readonly IdentityEntry[], operation: string | null): ExampleRequest[] {
    const examples: ExampleRequest[] = [];
    for (const entry of entries) {
      const own = entry.examples.filter((e) => operation === null || e.operation === operation);
      for (const e of own.length > 0 ? own : entry.examples) {
        if (examples.length >= EXAMPLES_PER_SIGNAL) return examples;
        examples.push({ time: e.time, method: e.method, target: e.target ?? e.operation ?? '', status: e.status, clientIp: e.clientIp });
      }
    }
    return examples;
  }

  /** "misses 35 (baseline 0.29), missRatio 0.467 (baseline 0.009)" */
  function describe(features: Record<string, number>): string {
    return Object.entries(features)
      .filter(([k]) => !k.endsWith('Baseline'))
      .map(([k, v]) => (features[`${k}Baseline`] !== undefined ? `${k} ${v} (baseline ${features[`${k}Baseline`]})` : `${k} ${v}`))
      .join(', ');
  }

  /** a decision for `identity` unless one is active; null when suppressed */
  function decide(rule: CompiledRule, identity: Identity, operation: string | null, windowMs: number, features: Record<string, number>, now: number, why: string): Decision | null {
    const key = DecisionMemory.key(rule.name, identity.kind, identity.value);
    if (memory.isActive(key, now)) return null;
    const level = memory.nextLevel(key, now);
    const durationMs = rule.durationsMs[Math.min(level, rule.durationsMs.length) - 1]!;
    const until = now + durationMs;
    memory.remember(key, until, level, rule.resetAfterMs);
    const action = rule.action;
    const what = action === 'alert' ? 'alert' : action === 'delay' ? `delay ${formatMs(rule.delayMs)} for ${formatMs(durationMs)}` : `${action} for ${formatMs(durationMs)}`;
    return {
      rule: rule.name,
      action,
      identity,
      banKey: banKeyOf(identity),
      durationMs,
      delayMs: action === 'delay' ? rule.delayMs : 0,
      dryRun: rule.dryRun,
      reason: `${rule.name}: ${identity.kind} ${identity.value}${operation && identity.kind !== 'operation' ? ` on ${operation}` : ''}: ${why} → ${what}${rule.dryRun ? ' (dry run)' : ''}${level > 1 ? ` (level ${level})` : ''}`,
      evidence: { windowMs, operation, features },
      level,
      time: now,
      until,
    };
  }

  function labelsOf(rule: CompiledRule, identity: Identity | null, operation: string | null): Record<string, string> {
    const labels: Record<string, string> = { rule: rule.name, severity: rule.severity, scope: rule.scope };
    if (identity) {
      labels.kind = identity.kind;
      labels.identity = identity.value;
    }
    if (operation !== null) labels.operation = operation;
    return labels;
  }

  function evaluateEntry(rule: CompiledRule, entry: IdentityEntry, reader: WindowReader, operation: string | null, now: number, result: EvaluationResult): void {
    const match = firstMatch(rule.when, reader, rule.windowMs);
    if (!match) return;
    const features = evidenceOf(match, reader, rule.windowMs);
    const identity: Identity = { kind: entry.kind, value: entry.value };
    const decision = decide(rule, identity, operation, rule.windowMs, features, now, `${describe(features)} over ${formatMs(rule.windowMs)}`);
    if (!decision) return;
    result.decisions.push(decision);
    result.signals.push({
      rule: rule.name,
      severity: rule.severity,
      labels: labelsOf(rule, identity, operation),
      summary: `${rule.description || rule.name}: ${entry.kind} ${entry.value}${operation ? ` on ${operation}` : ''} (${describe(features)} over ${formatMs(rule.windowMs)}) → ${decision.action}${rule.dryRun ? ' (dry run)' : ''}`,
      evidence: {
        topIdentities: [{ kind: entry.kind, value: entry.value, count: features.requests ?? 0 }],
        counts: features,
        exampleRequests: examplesOf([entry], operation),
      },
      time: now,
    });
  }

  function evaluateOperation(rule: CompiledRule, operation: OperationStats<PairEntry>, time: number, now: number, result: EvaluationResult): void {
    operationReader.reset(operation, time);
    const match = firstMatch(rule.when, operationReader, rule.windowMs);
    if (!match) return;
    const features = evidenceOf(match, operationReader, rule.windowMs);
    const baseline = operation.baseline;
    for (const c of match) {
      if (c.sigma === null && c.factor === null) continue;
      const def = c.def;
      if (def.kind === 'ratio') features[`${c.feature}Baseline`] = round(baseline.rate(def.numerator!, def.denominator!));
      else if (def.counters[0] !== undefined) features[`${c.feature}Baseline`] = round(baseline.expected(def.counters[0], rule.windowMs / MINUTE_MS));
    }
    const attribution = rule.attribute;
    const found = attribution ? attribute(attribution, operation, operationReader, pairReader, plan.byKind, time) : null;
    const newDecisions: Decision[] = [];
    if (found && rule.action !== 'alert') {
      for (const named of found.named) {
        const evidence = { ...named.features, [attribution!.by]: round(named.count) };
        const share = found.total > 0 ? Math.round((100 * named.count) / found.total) : 0;
        const decision = decide(rule, { kind: named.kind, value: named.value }, operation.name, attribution!.windowMs, evidence, now,
          `${describe(evidence)} over ${formatMs(attribution!.windowMs)}, ${share} % of the operation's ${round(found.total)} ${attribution!.by}; ` +
          `the operation: ${describe(features)} over ${formatMs(rule.windowMs)}`);
        if (decision) newDecisions.push(decision);
      }
    }
    const opIdentity: Identity = { kind: 'operation', value: operation.name };
    const opKey = DecisionMemory.key(rule.name, 'operation', operation.name);
    const isNewFiring = !memory.isActive(opKey, now);
    if (isNewFiring && rule.action === 'alert') {
      const decision = decide(rule, opIdentity, operation.name, rule.windowMs, features, now, `${describe(features)} over ${formatMs(rule.windowMs)}`);
      if (decision) newDecisions.push(decision);
    } else if (isNewFiring) {
      memory.remember(opKey, now + rule.durationsMs[0]!, 1, rule.resetAfterMs);
    }
    result.decisions.push(...newDecisions);
    if (!isNewFiring && newDecisions.length === 0) return;
    const named: readonly Named[] = found?.named ?? [];
    const top = named.length > 0 ? named : found?.top ?? [];
    if (found) features.coverage = round(found.coverage);
    result.signals.push({
      rule: rule.name,
      severity: rule.severity,
      labels: labelsOf(rule, null, operation.name),
      summary: `${rule.description || rule.name}: ${operation.name} (${describe(features)} over ${formatMs(rule.windowMs)})` +
        (named.length > 0 ? `; driven by ${named.slice(0, 3).map((n) => `${n.kind} ${n.value}`).join(', ')}${named.length > 3 ? ` and ${named.length - 3} more` : ''}` : '') +
        (newDecisions.length > 0 && rule.action !== 'alert' ? ` → ${rule.action} ${newDecisions.length}${rule.dryRun ? ' (dry run)' : ''}` : ''),
      evidence: {
        topIdentities: top.slice(0, TOP_IDENTITIES).map((t) => ({ kind: t.kind, value: t.value, count: round(t.count) })),
        counts: features,
        exampleRequests: examplesOf(top.slice(0, EXAMPLES_PER_SIGNAL).map((t) => t.entry), operation.name),
      },
      time: now,
    });
  }

  function evaluate(now: number = clock()): EvaluationResult {
    const time = relative(now);
    const result: EvaluationResult = { decisions: [], signals: [] };
    const minute = Math.floor(time / MINUTE_MS);
    for (const operation of operations.values()) operation.roll(minute);

    for (const entry of dirtyIdentities) {
      if (entry.isEvicted) continue;
      const kindPlan = plan.byKind.get(entry.kind)!;
      windowReader.reset(entry.windows!, kindPlan.identityWindows, time, entry.firstSeen, entry.kind);
      for (const rule of kindPlan.identityRules) evaluateEntry(rule, entry, windowReader, null, now, result);
    }
    for (const pair of dirtyPairs) {
      if (!pair.isAlive) continue;
      const kindPlan: KindPlan = plan.byKind.get(pair.identity.kind)!;
      windowReader.reset(pair.windows, kindPlan.pairWindows, time, pair.firstSeen, pair.identity.kind);
      for (const rule of kindPlan.pairRules) evaluateEntry(rule, pair.identity, windowReader, pair.operation.name, now, result);
    }
    dirtyIdentities.length = 0;
    dirtyPairs.length = 0;
    mark++;

    if (plan.operationRules.length > 0) {
      for (const operation of operations.values()) {
        for (const rule of plan.operationRules) {
          if (time - operation.lastSeen > rule.windowMs) continue;
          evaluateOperation(rule, operation, time, now, result);
        }
      }
    }
    memory.sweep(now);
    return result;
  }

  function size(): DetectorSize {
    const identities = { ip: 0, subnet: 0, apikey: 0, principal: 0, fingerprint: 0 } as Record<IdentityKind, number>;
    let pairs = 0;
    let approxBytes = 0;
    let evictions = 0;
    for (const store of stores.values()) {
      identities[store.kind] = store.size;
      evictions += store.evictions;
      for (const entry of store.values()) {
        pairs += entry.pairCount;
        approxBytes += entry.byteSize;
      }
    }
    for (const op of operations.values()) approxBytes += op.byteSize;
    return { identities, pairs, operations: operations.size, remembered: memory.size, evictions, approxBytes };
  }

  return { plan, observe, evaluate, size };
}
