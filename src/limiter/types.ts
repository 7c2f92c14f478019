/**
 * The contract between the gateway (which compiles rules and builds keys) and
 * the limiter stores (memory, Redis). A store knows nothing about HTTP: it
 * takes a list of window checks and ban keys for one request and answers with
 * values. Over-limit is a value, not an exception; exceptions are faults
 * (Redis down), which the resilient wrapper turns into the rule's policy.
 */

/** How a window counts. */
export type WindowAlgorithm =
  /**
   * Generic cell rate algorithm: a steady rate of `limit` per `periodMs` with
   * bursts of up to `burst`. One timestamp per key (the theoretical arrival
   * time); no boundary spikes.
   */
  | 'gcra'
  /**
   * Sliding window counter: the current and previous fixed buckets of
   * `periodMs`, the previous weighted by how much of it still overlaps the
   * window. Two integers per key whatever the request count; for long windows
   * (minutes to days) where GCRA's "burst then trickle" is not what users mean.
   */
  | 'sliding'
  /**
   * Distinct values: how many different `member`s this key touched in the
   * window. Exact while small, HyperLogLog beyond. The window is covered by
   * sub-buckets so that it slides (see the store docs for the exact bound).
   */
  | 'distinct';

/** What happens to a check when the store cannot answer (Redis refused, hung, timed out). */
export type FailurePolicy =
  /** admit the request; the decision says the limiter was unavailable */
  | 'open'
  /** refuse the request (503) */
  | 'closed'
  /** decide on a bounded local memory store until the shared one is back */
  | 'local';

/** One window of one rule applied to one request. */
export interface LimitCheck {
  /** stable id of the window within the plan, e.g. "phone-lookups#0"; part of the storage key */
  id: string;
  /** the composed key value, e.g. "phone=+15551234567"; already normalised, never empty */
  key: string;
  algorithm: WindowAlgorithm;
  /** admitted units per period (gcra, sliding), or distinct members allowed per period (distinct) */
  limit: number;
  periodMs: number;
  /** gcra only: the largest burst admitted at once (>= 1); ignored otherwise */
  burst: number;
  /**
   * units this request spends (gcra, sliding); 0 = only look, spend nothing
   * (used before forwarding by rules that count by outcome). Distinct checks
   * ignore it.
   */
  cost: number;
  /** distinct only: the value touched by this request (e.g. the phone number) */
  member?: string;
  /**
   * dry run: the check is evaluated and reported, but its denial does not
   * stop the request nor prevent other checks from spending
   */
  dryRun: boolean;
  /** what to decide for this check when the shared store cannot answer (see resilient store) */
  onFailure: FailurePolicy;
}

/** The answer for one check, in the order of the checks given. */
export interface CheckResult {
  id: string;
  /** this check alone would admit the request */
  allowed: boolean;
  /** units (or distinct members) still available in the window after this request; >= 0 */
  remaining: number;
  /** ms until the window is back to its full quota (RateLimit header `t`); >= 0 */
  resetMs: number;
  /** ms the client should wait before this check would admit it; 0 when allowed */
  retryAfterMs: number;
  /**
   * who decided: the store itself, or a failure policy because the shared
   * store could not answer ('open' = admitted blind, 'closed' = refused,
   * 'local' = decided by the local fallback store)
   */
  source: 'store' | 'open' | 'closed' | 'local';
}

/** A ban on one key, e.g. "ip:203.0.113.7", "subnet:203.0.113.0/24", "apikey:3f2a…". */
export interface Ban {
  key: string;
  /** epoch ms when the ban ends */
  until: number;
  /** escalation level that produced it: 1 = first ban (0 = set by an operator) */
  level: number;
  /** why: a rule id, "operator", or a detection rule */
  reason: string;
}

/**
 * Escalation: when an enforcing check of a rule denies, the rule's ban key
 * gets one violation; `after` violations within `withinMs` ban it for
 * `durationsMs[level - 1]` (the last entry repeats), and each ban raises the
 * level, which decays after `resetAfterMs` without bans.
 */
export interface BanEscalation {
  /** ids of the checks whose enforcing denial counts as a violation */
  checkIds: readonly string[];
  /** the key to ban, e.g. "ip:203.0.113.7" */
  banKey: string;
  after: number;
  withinMs: number;
  durationsMs: readonly number[];
  resetAfterMs: number;
  /** recorded in the Ban */
  reason: string;
}

export interface EvaluateRequest {
  /** keys to look up in the ban list first; a ban short-circuits: nothing is spent */
  banKeys: readonly string[];
  checks: readonly LimitCheck[];
  /**
   * escalations to apply when an enforcing (non-dry-run) check denies; the
   * store applies them in the same step (Redis: the same script call)
   */
  escalations: readonly BanEscalation[];
  /** epoch ms (stores take time from the caller, so tests control the clock) */
  now: number;
}

export interface EvaluateResult {
  /** the longest active ban among banKeys, or null */
  ban: Ban | null;
  /** one per check, same order; empty when banned */
  results: readonly CheckResult[];
  /**
   * true when no enforcing check denied (and no ban): then every check that
   * allowed has spent its cost. When false nothing was spent anywhere, so a
   * refused request never eats a daily quota.
   */
  admitted: boolean;
  /** bans created by escalation in this step (often a shared empty array: never modified) */
  newBans: readonly Ban[];
  /** true when the shared store could not answer and failure policies decided */
  degraded: boolean;
}

/**
 * A limiter store. Implementations: memory (bounded, default) and Redis
 * (shared by every gateway instance, one script call per evaluate).
 */
export interface LimiterStore {
  readonly kind: 'memory' | 'redis';
  evaluate(request: EvaluateRequest): Promise<EvaluateResult>;
  /**
   * evaluate() without the promise, where the store needs no I/O (memory):
   * the gateway calls it when present, which saves a promise and a
   * microtask turn per request
   */
  evaluateSync?(request: EvaluateRequest): EvaluateResult;
  /**
   * spend `cost` on checks without deciding (count-by-outcome, after the
   * upstream answered); distinct checks add their member
   */
  record(checks: readonly LimitCheck[], now: number): Promise<void>;
  addBan(ban: Ban): Promise<void>;
  removeBan(key: string): Promise<boolean>;
  /** active bans at `now`, longest-lasting first, at most `limit` */
  listBans(now: number, limit?: number): Promise<Ban[]>;
  close(): Promise<void>;
}
