/**
 * Behaviour features: the raw counters kept per window sub-bucket, and the
 * features rules are written against (counts, ratios, distinct counts, the
 * regularity of timing), computed from summed counters when rules run.
 *
 * Counters are additive, so a window is the sum of its sub-buckets and an
 * operation's minute is the sum of its requests. Ratios are computed from
 * sums (misses / lookups over the window), never averaged.
 */
import type { DetectEvent } from './types.ts';

/** Raw counters, by index. */
export const COUNTERS = [
  'requests',
  /** requests carrying identifiers that got an answer: a hit or a miss */
  'lookups',
  /** lookups answered "not found" (a miss status, or isMiss) */
  'misses',
  /** lookups answered 2xx and not a miss */
  'hits',
  'authFailures',
  /** login attempts (the event names an account) */
  'logins',
  /** 404 on a path that matches no operation (unknown or shadow) */
  'unknownPaths',
  /** requests refused before routing: malformed, ambiguous, oversized */
  'rejected',
  /** requests to shadow or zombie endpoints */
  'shadowZombie',
  /** requests the gateway refused by a rate limit or a ban */
  'limited',
  'bytesOut',
  /** sensitive values returned */
  'sensitive',
  /** responses with sensitive values to requests without a principal */
  'unauthSensitive',
  /** numeric identifiers that had a numeric predecessor (per entry) */
  'numericPairs',
  /** …of which within sequentialDelta of the predecessor, and different */
  'sequential',
  /** inter-arrival gaps (per entry), in seconds: count, sum, sum of squares */
  'gapCount',
  'gapSum',
  'gapSquares',
] as const;

export type CounterName = (typeof COUNTERS)[number];
export const COUNTER_COUNT = COUNTERS.length;

/** index of each counter */
export const C = Object.fromEntries(COUNTERS.map((name, i) => [name, i])) as { readonly [K in CounterName]: number };

export type FeatureName =
  | 'requests' | 'lookups' | 'misses' | 'hits' | 'authFailures' | 'logins' | 'unknownPaths' | 'rejected' | 'shadowZombie' | 'limited'
  | 'bytesOut' | 'sensitive' | 'unauthSensitive'
  | 'missRatio' | 'hitRatio' | 'authFailureRatio' | 'unknownPathRatio' | 'shadowZombieShare' | 'sequentialRatio'
  | 'gapCv'
  | 'distinctIdentifiers' | 'distinctAccounts' | 'distinctSubnets';

/** what distinct counters count */
export type MemberKind = 'identifiers' | 'accounts' | 'subnets';
export const MEMBER_KINDS: readonly MemberKind[] = ['identifiers', 'accounts', 'subnets'];

export type FeatureKind =
  /** an additive count of events (Poisson-like: variance floor = mean) */
  | 'count'
  /** an additive amount (bytes, values) */
  | 'volume'
  /** numerator / denominator counters */
  | 'ratio'
  /** coefficient of variation of inter-arrival gaps */
  | 'cv'
  /** distinct members over the window */
  | 'distinct';

export interface FeatureDef {
  kind: FeatureKind;
  /** the counters this feature reads */
  counters: readonly number[];
  /** ratio: numerator and denominator counter */
  numerator?: number;
  denominator?: number;
  /** distinct: which members */
  members?: MemberKind;
  /** can a per-operation rule (all clients together) use it? */
  isOperationFeature: boolean;
  description: string;
}

const count = (counter: CounterName, description: string): FeatureDef =>
  ({ kind: 'count', counters: [C[counter]], isOperationFeature: true, description });
const volume = (counter: CounterName, description: string): FeatureDef =>
  ({ kind: 'volume', counters: [C[counter]], isOperationFeature: true, description });
const ratio = (numerator: CounterName, denominator: CounterName, description: string): FeatureDef =>
  ({ kind: 'ratio', counters: [C[numerator], C[denominator]], numerator: C[numerator], denominator: C[denominator], isOperationFeature: true, description });

export const FEATURES: { readonly [K in FeatureName]: FeatureDef } = {
  requests: count('requests', 'requests'),
  lookups: count('lookups', 'requests with identifiers that were answered (hits + misses)'),
  misses: count('misses', 'lookups answered "not found"'),
  hits: count('hits', 'lookups answered 2xx'),
  authFailures: count('authFailures', 'refusals by access control (401/403) and failed logins'),
  logins: count('logins', 'login attempts (requests naming an account)'),
  unknownPaths: count('unknownPaths', '404 on paths that match no operation'),
  rejected: count('rejected', 'requests refused as malformed or ambiguous'),
  shadowZombie: count('shadowZombie', 'requests to shadow or zombie endpoints'),
  limited: count('limited', 'requests refused by a rate limit or a ban'),
  bytesOut: volume('bytesOut', 'response bytes'),
  sensitive: volume('sensitive', 'sensitive values returned'),
  unauthSensitive: count('unauthSensitive', 'responses with sensitive values to requests without a principal'),
  missRatio: ratio('misses', 'lookups', 'misses / lookups'),
  hitRatio: ratio('hits', 'lookups', 'hits / lookups'),
  authFailureRatio: ratio('authFailures', 'requests', 'authFailures / requests'),
  unknownPathRatio: ratio('unknownPaths', 'requests', 'unknownPaths / requests'),
  shadowZombieShare: ratio('shadowZombie', 'requests', 'shadowZombie / requests'),
  sequentialRatio: {
    ...ratio('sequential', 'numericPairs', 'share of numeric identifiers within sequentialDelta of the previous one'),
    // per client only: all clients together interleave
    isOperationFeature: false,
  },
  gapCv: {
    kind: 'cv',
    counters: [C.gapCount, C.gapSum, C.gapSquares],
    isOperationFeature: false,
    description: 'coefficient of variation of the gaps between requests: scripts are regular (< 0.5), people are not (≈ 1 or more)',
  },
  distinctIdentifiers: { kind: 'distinct', counters: [], members: 'identifiers', isOperationFeature: true, description: 'distinct identifiers looked up' },
  distinctAccounts: { kind: 'distinct', counters: [], members: 'accounts', isOperationFeature: true, description: 'distinct accounts tried in logins' },
  distinctSubnets: {
    kind: 'distinct',
    counters: [],
    members: 'subnets',
    isOperationFeature: true,
    description: 'distinct client subnets: one client (a few) or a credential shared by an app\'s every user (thousands); always 1 for ip and subnet',
  },
};

export const FEATURE_NAMES = Object.keys(FEATURES) as FeatureName[];

/** How a miss is recognised (from the rule set's settings). */
export interface MissPolicy {
  missStatuses: ReadonlySet<number>;
  /** per operation, replacing missStatuses */
  missStatusesByOperation: ReadonlyMap<string, ReadonlySet<number>>;
}

/**
 * The event's increments of the shared counters (not the per-entry ones:
 * numericPairs, sequential and the gaps depend on the entry's previous
 * request and are set by the caller).
 */
// hot path: writes into a reused array
export function countEvent(event: DetectEvent, misses: MissPolicy, out: Float64Array): void {
  const status = event.status;
  const hasIdentifiers = event.identifiers.length > 0;
  let isMiss = false;
  let isHit = false;
  if (hasIdentifiers) {
    if (event.isMiss !== undefined) isMiss = event.isMiss;
    else {
      const statuses = event.operation !== null ? misses.missStatusesByOperation.get(event.operation) ?? misses.missStatuses : misses.missStatuses;
      isMiss = statuses.has(status);
    }
    isHit = !isMiss && status >= 200 && status < 300;
  }
  const cls = event.class;
  out[C.requests] = 1;
  out[C.lookups] = isMiss || isHit ? 1 : 0;
  out[C.misses] = isMiss ? 1 : 0;
  out[C.hits] = isHit ? 1 : 0;
  out[C.authFailures] = event.isAuthFailure ? 1 : 0;
  out[C.logins] = event.account !== null ? 1 : 0;
  out[C.unknownPaths] = (cls === 'unknown' || cls === 'shadow') && status === 404 ? 1 : 0;
  out[C.rejected] = cls === 'rejected' ? 1 : 0;
  out[C.shadowZombie] = cls === 'shadow' || cls === 'zombie' ? 1 : 0;
  out[C.limited] = event.isLimited === true ? 1 : 0;
  out[C.bytesOut] = event.bytesOut;
  out[C.sensitive] = event.sensitiveCount;
  out[C.unauthSensitive] = event.principal === null && event.sensitiveCount > 0 ? 1 : 0;
  out[C.numericPairs] = 0;
  out[C.sequential] = 0;
  out[C.gapCount] = 0;
  out[C.gapSum] = 0;
  out[C.gapSquares] = 0;
}

/** The first identifier as a number when it is all digits (ids, phone numbers), else NaN. */
// hot path: no allocation
export function numericIdentifier(event: DetectEvent): number {
  const first = event.identifiers[0];
  if (first === undefined || first.length === 0 || first.length > 15) return NaN;
  let n = 0;
  let i = first.charCodeAt(0) === 43 /* + */ ? 1 : 0;
  if (i === first.length) return NaN;
  for (; i < first.length; i++) {
    const c = first.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return NaN;
    n = n * 10 + c;
  }
  return n;
}

/** Reads distinct counts for a feature value computation. */
export type DistinctReader = (members: MemberKind) => number;

/**
 * A feature's value from summed counters. Ratios with an empty denominator
 * and gapCv with fewer than 3 gaps are NaN: no condition holds on them.
 */
export function featureValue(def: FeatureDef, sums: Float64Array, distinct: DistinctReader): number {
  switch (def.kind) {
    case 'count':
    case 'volume':
      return sums[def.counters[0]!]!;
    case 'ratio': {
      const d = sums[def.denominator!]!;
      return d > 0 ? Math.min(1, sums[def.numerator!]! / d) : NaN;
    }
    case 'cv': {
      const n = sums[C.gapCount]!;
      if (n < 3) return NaN;
      const mean = sums[C.gapSum]! / n;
      if (mean <= 0) return 0;
      const variance = Math.max(0, sums[C.gapSquares]! / n - mean * mean);
      return Math.sqrt(variance) / mean;
    }
    case 'distinct':
      return distinct(def.members!);
  }
}
