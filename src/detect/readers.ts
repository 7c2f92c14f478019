/**
 * Reading features for rules: from an entry's windows (identity or identity
 * × operation), or from an operation's minutes and baseline, and checking a
 * rule's conditions against them. Used when rules run (every few seconds),
 * never per request; sums are cached per window for the entry being read.
 */
import { COUNTER_COUNT, FEATURES, featureValue, MEMBER_KINDS, type FeatureName, type MemberKind } from './features.ts';
import type { OperationStats } from './operation-stats.ts';
import { BASELINE_SIZE } from './operation-stats.ts';
import type { Condition, Conjunction } from './rules.ts';
import type { IdentityKind } from './types.ts';
import type { WindowSet } from './windows.ts';

export interface FeatureReader {
  /** the feature's value over `windowMs` (NaN when it has no value, e.g. a ratio of nothing) */
  value(feature: FeatureName, windowMs: number): number;
  /** does the condition's relative part (sigma, factor) hold for `value` over `windowMs`? */
  relative(condition: Condition, value: number, windowMs: number): boolean;
}

/** true when every condition holds (values read over `windowMs`) */
export function holdsAll(conjunction: Conjunction, reader: FeatureReader, windowMs: number): boolean {
  for (const c of conjunction) {
    const v = reader.value(c.feature, windowMs);
    if (Number.isNaN(v)) return false;
    if (c.min !== null && !(v >= c.min)) return false;
    if (c.max !== null && !(v <= c.max)) return false;
    if ((c.sigma !== null || c.factor !== null) && !reader.relative(c, v, windowMs)) return false;
  }
  return true;
}

/** the first conjunction that holds, or null */
export function firstMatch(when: readonly Conjunction[], reader: FeatureReader, windowMs: number): Conjunction | null {
  for (const conjunction of when) if (holdsAll(conjunction, reader, windowMs)) return conjunction;
  return null;
}

/** the features a match reports: those of the conjunction, and requests */
export function evidenceOf(conjunction: Conjunction, reader: FeatureReader, windowMs: number): Record<string, number> {
  const features: Record<string, number> = { requests: round(reader.value('requests', windowMs)) };
  for (const c of conjunction) features[c.feature] = round(reader.value(c.feature, windowMs));
  return features;
}

export function round(n: number): number {
  if (!Number.isFinite(n)) return 0;
  return Math.abs(n) >= 100 ? Math.round(n) : Math.round(n * 1000) / 1000;
}

/** Features of one entry's windows. */
export class WindowReader implements FeatureReader {
  #windows: WindowSet | null = null;
  #index: ReadonlyMap<number, number> = new Map();
  #time = 0;
  #firstSeen = 0;
  #isSingleSubnet = false;
  readonly #sums: Float64Array[] = [];
  readonly #isRead: boolean[] = [];

  /** points the reader at an entry; cached sums are dropped */
  reset(windows: WindowSet, index: ReadonlyMap<number, number>, time: number, firstSeen: number, kind: IdentityKind): this {
    this.#windows = windows;
    this.#index = index;
    this.#time = time;
    this.#firstSeen = firstSeen;
    this.#isSingleSubnet = kind === 'ip' || kind === 'subnet';
    this.#isRead.fill(false);
    return this;
  }

  value(feature: FeatureName, windowMs: number): number {
    const def = FEATURES[feature];
    const w = this.#index.get(windowMs);
    if (w === undefined) return NaN;
    if (def.kind === 'distinct') {
      if (def.members === 'subnets' && this.#isSingleSubnet) return 1;
      return this.#windows!.distinct(w, this.#time, def.members!);
    }
    return featureValue(def, this.#sums1(w), () => 0);
  }

  /** factor with over: the value against the entry's own rate over the longer window */
  relative(condition: Condition, value: number, windowMs: number): boolean {
    const over = condition.overMs;
    if (over === null || condition.factor === null) return false;
    // too young to have a history of its own: the absolute conditions must do
    if (this.#time - this.#firstSeen < over / 2) return false;
    const def = condition.def;
    const long = this.value(condition.feature, over);
    if (Number.isNaN(long)) return false;
    if (def.kind === 'ratio') return value >= condition.factor * long;
    // rate over the part of the long window before the short one, scaled to the short window
    const before = Math.max(0, long - value);
    const expected = (before / (over - windowMs)) * windowMs;
    return value >= condition.factor * Math.max(expected, 1);
  }

  #sums1(w: number): Float64Array {
    let sums = this.#sums[w];
    if (!sums) sums = this.#sums[w] = new Float64Array(COUNTER_COUNT);
    if (!this.#isRead[w]) {
      this.#windows!.read(w, this.#time, sums);
      this.#isRead[w] = true;
    }
    return sums;
  }
}

/** Features of one operation (all clients) against its learned baseline. */
export class OperationReader implements FeatureReader {
  #operation: OperationStats | null = null;
  #time = 0;
  readonly #sums = new Map<number, { sums: Float64Array; minutes: number }>();

  reset(operation: OperationStats, time: number): this {
    this.#operation = operation;
    this.#time = time;
    this.#sums.clear();
    return this;
  }

  value(feature: FeatureName, windowMs: number): number {
    const def = FEATURES[feature];
    const minutes = Math.round(windowMs / 60_000);
    if (def.kind === 'distinct') return this.#operation!.distinct(MEMBER_KINDS.indexOf(def.members!), minutes, this.#time);
    return featureValue(def, this.#read(minutes).sums, () => 0);
  }

  relative(condition: Condition, value: number, windowMs: number): boolean {
    const operation = this.#operation!;
    const baseline = operation.baseline;
    if (!baseline.isWarm) return false;
    const def = condition.def;
    const minutes = Math.round(windowMs / 60_000);
    const { sums, minutes: covered } = this.#read(minutes);
    if (def.kind === 'ratio') {
      const k = sums[def.numerator!]!;
      const n = sums[def.denominator!]!;
      if (condition.sigma !== null && !(baseline.rateZScore(def.numerator!, def.denominator!, k, n) >= condition.sigma)) return false;
      if (condition.factor !== null && !(value >= condition.factor * baseline.rate(def.numerator!, def.denominator!))) return false;
      return true;
    }
    const index = def.kind === 'distinct' ? COUNTER_COUNT + MEMBER_KINDS.indexOf(def.members as MemberKind) : def.counters[0]!;
    if (index >= BASELINE_SIZE) return false;
    if (condition.sigma !== null && !(baseline.zScore(index, value, covered) >= condition.sigma)) return false;
    if (condition.factor !== null && !(value >= condition.factor * Math.max(baseline.expected(index, covered), 1))) return false;
    return true;
  }

  /** the sum of `by` over `minutes` (attribution's total) */
  total(counter: number, minutes: number): number {
    return this.#read(minutes).sums[counter]!;
  }

  #read(minutes: number): { sums: Float64Array; minutes: number } {
    let cached = this.#sums.get(minutes);
    if (!cached) {
      const sums = new Float64Array(COUNTER_COUNT);
      const covered = this.#operation!.read(minutes, this.#time, sums);
      cached = { sums, minutes: covered };
      this.#sums.set(minutes, cached);
    }
    return cached;
  }
}
