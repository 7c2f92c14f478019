/**
 * The engine's plan, compiled once from a RuleSet: which identity kinds are
 * tracked, which windows and counters each kind keeps (per identity and per
 * identity × operation), how long the operations' minute rings are, and
 * which counters feed the contributor lists used by attribution. Nothing a
 * rule does not read is counted.
 */
import { C, MEMBER_KINDS, type FeatureDef, type MemberKind } from './features.ts';
import type { CompiledRule, Conjunction, RuleSet } from './rules.ts';
import { IDENTITY_KINDS, type IdentityKind } from './types.ts';
import { compileLayout, type WindowLayout, type WindowNeed } from './windows.ts';

export interface KindPlan {
  kind: IdentityKind;
  identityLayout: WindowLayout | null;
  pairLayout: WindowLayout | null;
  /** window length → index in the layout */
  identityWindows: ReadonlyMap<number, number>;
  pairWindows: ReadonlyMap<number, number>;
  identityRules: readonly CompiledRule[];
  pairRules: readonly CompiledRule[];
  /** is the kind a candidate of some attribution (so its pairs are pushed as contributors)? */
  isAttributed: boolean;
}

export interface DetectorPlan {
  ruleSet: RuleSet;
  kinds: readonly KindPlan[];
  byKind: ReadonlyMap<IdentityKind, KindPlan>;
  operationRules: readonly CompiledRule[];
  /** minute ring length of every operation */
  operationMinutes: number;
  operationMembers: readonly boolean[];
  /** counters whose increment makes a pair a contributor of its operation */
  attributionCounters: readonly number[];
  needsSequence: boolean;
}

/** subnets are one for an address and for a subnet: never counted there */
function membersOf(defs: readonly FeatureDef[], kind: IdentityKind | null): MemberKind[] {
  const members = defs.flatMap((d) => (d.members ? [d.members] : []));
  return kind === 'ip' || kind === 'subnet' ? members.filter((m) => m !== 'subnets') : members;
}

function needsOf(when: readonly Conjunction[], windowMs: number, kind: IdentityKind | null, extra: readonly number[] = []): WindowNeed[] {
  const conditions = when.flat();
  const defs = conditions.map((c) => c.def);
  // requests is always kept: every decision reports it
  const needs: WindowNeed[] = [{ ms: windowMs, counters: [C.requests, ...extra, ...defs.flatMap((d) => d.counters)], members: membersOf(defs, kind) }];
  for (const c of conditions) if (c.overMs !== null) needs.push({ ms: c.overMs, counters: c.def.counters, members: [] });
  return needs;
}

export function compilePlan(ruleSet: RuleSet, subBuckets: number): DetectorPlan {
  const identityNeeds = new Map<IdentityKind, WindowNeed[]>();
  const pairNeeds = new Map<IdentityKind, WindowNeed[]>();
  const identityRules = new Map<IdentityKind, CompiledRule[]>();
  const pairRules = new Map<IdentityKind, CompiledRule[]>();
  const attributed = new Set<IdentityKind>();
  const attributionCounters = new Set<number>();
  const operationRules: CompiledRule[] = [];
  let operationMinutes = 1;
  const operationMembers = new Set<MemberKind>();
  const push = <T>(map: Map<IdentityKind, T[]>, kind: IdentityKind, ...items: T[]) => {
    map.set(kind, [...(map.get(kind) ?? []), ...items]);
  };

  for (const rule of ruleSet.rules) {
    if (rule.scope === 'operation') {
      operationRules.push(rule);
      operationMinutes = Math.max(operationMinutes, rule.windowMs / 60_000);
      for (const m of membersOf(rule.when.flat().map((c) => c.def), null)) operationMembers.add(m);
      const attribution = rule.attribute;
      if (attribution) {
        operationMinutes = Math.max(operationMinutes, Math.ceil(attribution.windowMs / 60_000));
        attributionCounters.add(attribution.byCounter);
        for (const kind of [...attribution.kinds, ...attribution.fallback]) {
          attributed.add(kind);
          push(pairNeeds, kind, ...needsOf(attribution.when, attribution.windowMs, kind, [attribution.byCounter]));
        }
      }
      continue;
    }
    for (const kind of rule.kinds) {
      if (rule.scope === 'identity') {
        push(identityRules, kind, rule);
        push(identityNeeds, kind, ...needsOf(rule.when, rule.windowMs, kind));
      } else {
        push(pairRules, kind, rule);
        push(pairNeeds, kind, ...needsOf(rule.when, rule.windowMs, kind));
      }
    }
  }

  const kinds: KindPlan[] = [];
  for (const kind of IDENTITY_KINDS) {
    const iNeeds = identityNeeds.get(kind) ?? [];
    const pNeeds = pairNeeds.get(kind) ?? [];
    if (iNeeds.length === 0 && pNeeds.length === 0) continue;
    const identityLayout = iNeeds.length > 0 ? compileLayout(iNeeds, subBuckets) : null;
    const pairLayout = pNeeds.length > 0 ? compileLayout(pNeeds, subBuckets) : null;
    kinds.push({
      kind,
      identityLayout,
      pairLayout,
      identityWindows: new Map(identityLayout?.windows.map((w, i) => [w.ms, i]) ?? []),
      pairWindows: new Map(pairLayout?.windows.map((w, i) => [w.ms, i]) ?? []),
      identityRules: identityRules.get(kind) ?? [],
      pairRules: pairRules.get(kind) ?? [],
      isAttributed: attributed.has(kind),
    });
  }
  return {
    ruleSet,
    kinds,
    byKind: new Map(kinds.map((k) => [k.kind, k])),
    operationRules,
    // + 1: the current, partial minute
    operationMinutes: operationMinutes + 1,
    operationMembers: MEMBER_KINDS.map((m) => operationMembers.has(m)),
    attributionCounters: [...attributionCounters],
    needsSequence: kinds.some((k) => k.identityLayout?.needsSequence || k.pairLayout?.needsSequence),
  };
}
