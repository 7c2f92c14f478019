/**
 * The limiter stage of the pipeline: from the rules that apply to a request
 * and what is known of it (address, principal, parameters, body) to a
 * verdict. One store call per request (bans, every window of every rule, and
 * ban escalation together), plus, for delay rules over their limit, one call
 * that spends past the limit so the delay grows with the excess. Over-limit
 * is a value; only faults throw, and the resilient store turns those into
 * each rule's failure policy before they get here.
 */
import type { ErrorCode } from '../errors.ts';
import type { LimitEventInfo } from '../events/types.ts';
import { subnetOf } from '../http/cidr.ts';
import type { Operation } from '../openapi/types.ts';
import type { Principal } from '../auth/types.ts';
import type { BanMirror } from './ban-mirror.ts';
import type { CompiledRule, CompiledWindow, LimiterPlan } from './plan.ts';
import { rateLimitHeaders, retryAfterSeconds } from './rate-limit-headers.ts';
import { AMBIGUOUS, readPart, type RequestFacts, type SubnetBits } from './request-values.ts';
import type { Ban, BanEscalation, CheckResult, EvaluateRequest, LimitCheck, LimiterStore } from './types.ts';

/** Checks spent only when the response has one of `statuses` (count by outcome). */
export interface DeferredCount {
  statuses: readonly number[];
  checks: LimitCheck[];
}

export type LimitVerdict =
  | {
      kind: 'pass';
      /** hold the request this long first (tarpit); 0 = none */
      delayMs: number;
      /** RateLimit / RateLimit-Policy for the response, flat name/value list */
      headers: string[];
      info: LimitEventInfo | null;
      deferred: DeferredCount[] | null;
    }
  | {
      kind: 'refuse';
      code: Extract<ErrorCode, 'RATE_LIMITED' | 'CLIENT_BANNED' | 'LIMITER_UNAVAILABLE' | 'AMBIGUOUS_PARAMETER'>;
      headers: string[];
      info: LimitEventInfo | null;
    };

const PASS: LimitVerdict = { kind: 'pass', delayMs: 0, headers: [], info: null, deferred: null };

/** What each check came from, to read the results back. */
interface CheckOrigin {
  rule: CompiledRule;
  window: CompiledWindow;
  key: string;
  /** a delay rule: evaluated as dry run, spent separately when over */
  isDelay: boolean;
}

/** The ban keys of a request: its address and subnet always, API key and principal when known. */
export function banKeysOf(clientIp: string, p: Principal | null, subnet: SubnetBits): string[] {
  const keys = [`ip:${clientIp}`, `subnet:${subnetOf(clientIp, subnet.ipv4, subnet.ipv6)}`];
  if (p) {
    // principal ids carry their kind already: "apikey:k1a2b3c4", "jwt:<iss>|<sub>"
    keys.push(`principal:${p.id}`);
    if (p.method === 'apiKey') keys.push(p.id);
  }
  return keys;
}

function banKeyFor(kind: 'ip' | 'subnet' | 'apiKey' | 'principal', facts: RequestFacts, subnet: SubnetBits): string | null {
  switch (kind) {
    case 'ip':
      return `ip:${facts.clientIp}`;
    case 'subnet':
      return `subnet:${subnetOf(facts.clientIp, subnet.ipv4, subnet.ipv6)}`;
    case 'apiKey':
      return facts.principal?.method === 'apiKey' ? facts.principal.id : null;
    case 'principal':
      return facts.principal ? `principal:${facts.principal.id}` : null;
  }
}

export function refusedByBan(ban: Ban, now: number): Extract<LimitVerdict, { kind: 'refuse' }> {
  return {
    kind: 'refuse',
    code: 'CLIENT_BANNED',
    headers: ['retry-after', retryAfterSeconds(ban.until - now)],
    info: { rule: ban.reason, key: ban.key, remaining: 0, action: 'ban', delayMs: 0 },
  };
}

export interface LimiterStage {
  decide(plan: LimiterPlan, rules: readonly CompiledRule[], facts: RequestFacts, operation: Operation | null, now: number): Promise<LimitVerdict>;
  /** after the response: spend the deferred checks whose statuses match */
  settle(deferred: readonly DeferredCount[], status: number, now: number): void;
}

/** Told how long each store call took, and whether a failure policy answered instead of the store (metrics). */
export interface StoreTiming {
  observe: ((ms: number, isDegraded: boolean) => void) | null;
}

export function createLimiterStage(store: LimiterStore, bans: BanMirror, log: (message: string, detail: Record<string, unknown>) => void, timing: StoreTiming = { observe: null }): LimiterStage {
  function spend(checks: LimitCheck[], now: number): void {
    // never awaited by the request; a failure costs one uncounted request, which we log
    store.record(checks, now).catch((error: unknown) => log('limiter record failed', { error: String(error) }));
  }

  return {
    async decide(plan, rules, facts, operation, now) {
      const subnet = plan.config.subnet;
      const checks: LimitCheck[] = [];
      const origins: CheckOrigin[] = [];
      const escalations: BanEscalation[] = [];
      let deferred: DeferredCount[] | null = null;
      const opCost = plan.costOf(operation);

      for (const compiled of rules) {
        const { rule } = compiled;
        let key = '';
        let applies = true;
        for (const part of rule.key) {
          const value = readPart(part, facts, subnet);
          if (value === AMBIGUOUS) return ambiguous(rule.name, part.text);
          if (value === null) {
            applies = false;
            break;
          }
          // encoded so that a value holding '&' or '=' cannot forge another key
          key += `${key === '' ? '' : '&'}${part.text}=${encodeURIComponent(value)}`;
        }
        if (!applies) continue;

        const planName = facts.principal?.plan ?? null;
        const windows = (planName !== null ? compiled.tiers.get(planName) : undefined) ?? compiled.windows;
        const isDelay = rule.action === 'delay' && !rule.dryRun;
        const byOutcome = rule.countStatus !== null;
        const cost = rule.cost * opCost;
        const ruleChecks: LimitCheck[] = [];
        for (const w of windows) {
          ruleChecks.push({
            id: w.id, key, algorithm: w.algorithm, limit: w.limit, periodMs: w.periodMs, burst: w.burst,
            // count by outcome: look now (as for one unit), spend after the answer
            cost: byOutcome ? 0 : cost,
            dryRun: rule.dryRun || isDelay,
            onFailure: rule.onFailure,
          });
          origins.push({ rule: compiled, window: w, key, isDelay });
        }
        if (compiled.distinct && rule.distinct) {
          const member = readPart(rule.distinct.of, facts, subnet);
          if (member === AMBIGUOUS) return ambiguous(rule.name, rule.distinct.of.text);
          if (member !== null) {
            const d = compiled.distinct;
            const check: LimitCheck = {
              id: d.id, key, algorithm: 'distinct', limit: d.limit, periodMs: d.periodMs, burst: 1,
              cost: 1, dryRun: rule.dryRun || isDelay, onFailure: rule.onFailure,
            };
            // count by outcome: a distinct check without a member only looks (would a new value be admitted?)
            if (!byOutcome) check.member = member;
            ruleChecks.push(check);
            origins.push({ rule: compiled, window: d, key, isDelay });
          }
        }
        if (ruleChecks.length === 0) continue;
        checks.push(...ruleChecks);
        if (byOutcome) {
          deferred ??= [];
          const member = compiled.distinct && rule.distinct ? readPart(rule.distinct.of, facts, subnet) : null;
          deferred.push({
            statuses: rule.countStatus!,
            checks: ruleChecks.map((c) => (c.algorithm === 'distinct' ? { ...c, member: member as string } : { ...c, cost })),
          });
        }
        if (rule.ban && !rule.dryRun && !isDelay) {
          const banKey = banKeyFor(rule.ban.key, facts, subnet);
          if (banKey !== null) {
            escalations.push({
              checkIds: ruleChecks.map((c) => c.id), banKey, after: rule.ban.after, withinMs: rule.ban.withinMs,
              durationsMs: rule.ban.durationsMs, resetAfterMs: rule.ban.resetAfterMs, reason: `rule ${rule.name}`,
            });
          }
        }
      }
      if (checks.length === 0) return PASS;

      const startedAt = timing.observe === null ? 0 : performance.now();
      const request: EvaluateRequest = { banKeys: banKeysOf(facts.clientIp, facts.principal, subnet), checks, escalations, now };
      const outcome = store.evaluateSync !== undefined ? store.evaluateSync(request) : await store.evaluate(request);
      if (timing.observe !== null) timing.observe(performance.now() - startedAt, outcome.degraded);
      for (const ban of outcome.newBans) bans.add(ban);
      if (outcome.ban) {
        bans.add(outcome.ban);
        return refusedByBan(outcome.ban, now);
      }
      const results = outcome.results;

      if (!outcome.admitted) {
        // the enforcing denial that asks the longest wait decides the answer
        let worst = -1;
        for (let i = 0; i < results.length; i++) {
          const r = results[i]!;
          if (r.allowed || checks[i]!.dryRun) continue;
          if (worst === -1 || r.retryAfterMs > results[worst]!.retryAfterMs) worst = i;
        }
        if (worst === -1) worst = 0;
        const r = results[worst]!;
        const o = origins[worst]!;
        const newBan = outcome.newBans[0];
        const unavailable = results.some((x, i) => !x.allowed && !checks[i]!.dryRun && x.source === 'closed');
        return {
          kind: 'refuse',
          code: unavailable ? 'LIMITER_UNAVAILABLE' : 'RATE_LIMITED',
          headers: ['retry-after', retryAfterSeconds(newBan ? newBan.until - now : r.retryAfterMs), ...rateLimitHeaders(o.window, r)],
          info: newBan
            ? { rule: o.rule.rule.name, key: newBan.key, remaining: 0, action: 'ban', delayMs: 0 }
            : { rule: o.rule.rule.name, key: o.key, remaining: r.remaining, action: unavailable ? 'fail-closed' : 'reject', delayMs: 0 },
        };
      }

      // admitted: delay rules over their limit hold the request; dry runs are reported
      let delayMs = 0;
      let delayIndex = -1;
      let dryRunIndex = -1;
      let tightest = -1;
      for (let i = 0; i < results.length; i++) {
        const r = results[i]!;
        const o = origins[i]!;
        if (o.isDelay && !r.allowed) {
          if (r.retryAfterMs > delayMs) {
            delayMs = r.retryAfterMs;
            delayIndex = i;
          }
        } else if (!r.allowed && dryRunIndex === -1) {
          dryRunIndex = i;
        }
        if (!o.rule.rule.dryRun && (tightest === -1 || ratio(r, origins[i]!.window) < ratio(results[tightest]!, origins[tightest]!.window))) tightest = i;
      }
      const headers = tightest === -1 ? [] : rateLimitHeaders(origins[tightest]!.window, results[tightest]!);

      if (delayIndex !== -1) {
        const o = origins[delayIndex]!;
        const r = results[delayIndex]!;
        if (delayMs > o.rule.rule.maxDelayMs) {
          return {
            kind: 'refuse', code: 'RATE_LIMITED',
            headers: ['retry-after', retryAfterSeconds(r.retryAfterMs), ...rateLimitHeaders(o.window, r)],
            info: { rule: o.rule.rule.name, key: o.key, remaining: 0, action: 'reject', delayMs: 0 },
          };
        }
        // spend past the limit: the next request of this client waits longer
        spend(checks.filter((_, i) => origins[i]!.isDelay && !results[i]!.allowed), now);
        return { kind: 'pass', delayMs, headers, deferred, info: { rule: o.rule.rule.name, key: o.key, remaining: 0, action: 'delay', delayMs } };
      }
      const shown = dryRunIndex !== -1 ? dryRunIndex : tightest !== -1 ? tightest : 0;
      const r = results[shown]!;
      const o = origins[shown]!;
      const action: LimitEventInfo['action'] = dryRunIndex !== -1 ? 'dry-run'
        : r.source === 'open' ? 'fail-open'
          : r.source === 'local' ? 'local'
            : 'pass';
      return { kind: 'pass', delayMs: 0, headers, deferred, info: { rule: o.rule.rule.name, key: o.key, remaining: r.remaining, action, delayMs: 0 } };
    },

    settle(deferredCounts, status, now) {
      const due: LimitCheck[] = [];
      for (const d of deferredCounts) if (d.statuses.includes(status)) due.push(...d.checks);
      if (due.length > 0) spend(due, now);
    },
  };
}

function ratio(r: CheckResult, w: CompiledWindow): number {
  return r.remaining / w.limit;
}

function ambiguous(rule: string, part: string): LimitVerdict {
  return { kind: 'refuse', code: 'AMBIGUOUS_PARAMETER', headers: [], info: { rule, key: part, remaining: 0, action: 'reject', delayMs: 0 } };
}
