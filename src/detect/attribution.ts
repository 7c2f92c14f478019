/**
 * Attribution: when an operation-wide rule fires, which clients drive it.
 *
 * Candidates are the operation's recent contributors (pairs whose requests
 * added to the rule's `by` counter: a miss, a failure). A candidate is named
 * when its OWN traffic on the operation meets `attribute.when` over the
 * attribution window (e.g. at least 8 misses and a miss ratio of 0.6): being
 * busy is not enough, so the fingerprint that every copy of an app shares,
 * or a carrier NAT full of people, is not named while most of its lookups
 * hit.
 *
 * Kinds are tried in order (address → subnet → fingerprint): each named
 * identity is a decision. `fallback` kinds (API keys, principals) are tried
 * only when the kinds before them explain less than `coverage` of the
 * operation's `by` total: a key may be embedded in every copy of a client
 * app (the reference incident), and banning it is the last resort.
 */
import type { IdentityEntry, PairEntry } from './identity-store.ts';
import type { KindPlan } from './plan.ts';
import { evidenceOf, firstMatch, type OperationReader, type WindowReader } from './readers.ts';
import type { Attribution } from './rules.ts';
import type { IdentityKind } from './types.ts';

export interface Named {
  kind: IdentityKind;
  value: string;
  /** its `by` count over the attribution window */
  count: number;
  entry: IdentityEntry;
  features: Record<string, number>;
}

export interface AttributionResult {
  named: Named[];
  /** the largest share of the operation's `by` that one kind's named identities explain */
  coverage: number;
  /** the operation's `by` total over the window */
  total: number;
  /** the biggest candidates by `by`, named or not (for the alert) */
  top: { kind: IdentityKind; value: string; count: number; entry: IdentityEntry }[];
}

export function attribute(
  attribution: Attribution,
  operation: { contributors(kind: IdentityKind): PairEntry[] },
  operationReader: OperationReader,
  pairReader: WindowReader,
  plans: ReadonlyMap<IdentityKind, KindPlan>,
  time: number,
): AttributionResult {
  const windowMs = attribution.windowMs;
  const total = operationReader.total(attribution.byCounter, Math.ceil(windowMs / 60_000));
  const named: Named[] = [];
  const top: AttributionResult['top'] = [];
  let coverage = 0;
  const kinds = [...attribution.kinds, ...attribution.fallback];
  for (let k = 0; k < kinds.length; k++) {
    const kind = kinds[k]!;
    const isFallback = k >= attribution.kinds.length;
    if (isFallback && coverage >= attribution.coverage) break;
    const plan = plans.get(kind);
    if (!plan?.pairLayout) continue;
    let explained = 0;
    for (const pair of operation.contributors(kind)) {
      pairReader.reset(pair.windows, plan.pairWindows, time, pair.firstSeen, kind);
      const count = pairReader.value(attribution.by, windowMs);
      if (!(count > 0)) continue;
      top.push({ kind, value: pair.identity.value, count, entry: pair.identity });
      const match = firstMatch(attribution.when, pairReader, windowMs);
      if (!match) continue;
      named.push({ kind, value: pair.identity.value, count, entry: pair.identity, features: evidenceOf(match, pairReader, windowMs) });
      explained += count;
    }
    if (total > 0) coverage = Math.max(coverage, explained / total);
  }
  named.sort((a, b) => b.count - a.count);
  top.sort((a, b) => b.count - a.count);
  return { named, coverage, total, top };
}
