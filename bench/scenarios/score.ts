/**
 * What apiwarden did in one scenario, told from what a user would look at:
 * when the attack was first acted on (refused, delayed or banned, by a rate
 * limit or a detection rule) and first alerted, counted from the attack's
 * start in simulated and wall time; which identities were acted on; how much
 * of the attack was still served; and every benign person acted on (a false
 * positive), whether by a decision naming them or by an answer refusing them.
 */
import type { Alert } from '../../src/alerts/types.ts';
import type { Decision } from '../../src/detect/types.ts';
import type { GatewayEvent } from '../../src/events/types.ts';
import type { Planned, ScenarioPlan } from './actors.ts';
import type { Answer } from './drive.ts';

export interface Acted {
  /** a detection rule, or a rate-limit rule ("limit:logins") */
  by: string;
  action: string;
  /** simulated ms after the attack's start */
  afterSimMs: number;
  afterWallMs: number;
}

export interface ScenarioScore {
  name: string;
  description: string;
  requests: { benign: number; attack: number };
  /** first refusal, delay or ban of an attacker's request or identity */
  firstAction: Acted | null;
  /** first alert naming the attack (its rule) */
  firstAlert: { rule: string; afterSimMs: number; afterWallMs: number } | null;
  /** decisions on attackers: rule, action, identity kind → count */
  decisions: { rule: string; action: string; kind: string; count: number }[];
  /** attack requests served (forwarded, answered by the API), before and after the first action */
  attackServed: { before: number; after: number; refusedOrDelayed: number };
  falsePositives: {
    /** benign requests refused (429, 403, 503) or delayed by apiwarden */
    requests: number;
    /** decisions whose identity is one a benign person used */
    decisions: string[];
  };
  alerts: string[];
}

/** the keys a decision may name for a request (src/limiter/stage.ts banKeysOf, plus the fingerprint) */
export function keysOf(ip: string, fingerprint: string, principal: string | null): string[] {
  const keys = [`ip:${ip}`, `subnet:${ip.split('.').slice(0, 3).join('.')}.0/24`, `fingerprint:${fingerprint}`];
  if (principal !== null) keys.push(`principal:${principal}`);
  return keys;
}

export interface ScoreInput {
  plan: ScenarioPlan;
  answers: readonly (Answer | null)[];
  /** the fingerprint of each planned request, as the gateway computes it */
  fingerprints: readonly string[];
  events: readonly GatewayEvent[];
  decisions: readonly Decision[];
  alerts: readonly Alert[];
  /** simulated epoch ms of the scenario's start */
  startSim: number;
  /** wall ms (performance.now) at a simulated offset */
  wallAt(simMs: number): number;
}

const REFUSED = new Set(['limited', 'banned']);

export function scoreScenario(input: ScoreInput): ScenarioScore {
  const { plan } = input;
  const attackStartSim = plan.attackStart === null ? null : input.startSim + plan.attackStart;
  const actorByIp = new Map<string, string>();
  for (const r of plan.requests) actorByIp.set(r.ip, r.actor);
  const principalByIp = new Map<string, string>();
  for (const e of input.events) if (e.principal !== null) principalByIp.set(e.clientIp, e.principal);

  const attackKeys = new Set<string>();
  const benignKeys = new Set<string>();
  plan.requests.forEach((r: Planned, i) => {
    const keys = keysOf(r.ip, input.fingerprints[i]!, principalByIp.get(r.ip) ?? null);
    for (const k of keys) (r.actor === 'benign' ? benignKeys : attackKeys).add(k);
  });

  const sinceAttack = (time: number): { afterSimMs: number; afterWallMs: number } => ({
    afterSimMs: time - attackStartSim!,
    afterWallMs: input.wallAt(time - input.startSim) - input.wallAt(plan.attackStart!),
  });

  // a holder: assignments inside a closure are invisible to the compiler's narrowing
  const earliest: { action: Acted | null } = { action: null };
  const consider = (time: number, by: string, action: string): void => {
    if (attackStartSim === null) return;
    const known = earliest.action;
    if (known === null || time - attackStartSim < known.afterSimMs) earliest.action = { by, action, ...sinceAttack(time) };
  };

  const decisionCounts = new Map<string, { rule: string; action: string; kind: string; count: number }>();
  const falseDecisions: string[] = [];
  for (const d of input.decisions) {
    const key = d.banKey ?? `${d.identity.kind}:${d.identity.value}`;
    if (benignKeys.has(key)) falseDecisions.push(`${d.rule} ${d.action} ${key}`);
    if (!attackKeys.has(key)) continue;
    const id = `${d.rule}|${d.action}|${d.identity.kind}`;
    const entry = decisionCounts.get(id) ?? { rule: d.rule, action: d.action, kind: d.identity.kind, count: 0 };
    entry.count++;
    decisionCounts.set(id, entry);
    if (d.action !== 'alert' && !d.dryRun) consider(d.time, d.rule, d.action);
  }

  let falseRequests = 0;
  const served = { before: 0, after: 0, refusedOrDelayed: 0 };
  const attackEvents: GatewayEvent[] = [];
  for (const e of input.events) {
    const actor = actorByIp.get(e.clientIp);
    if (actor === undefined) continue;
    const isActedOn = REFUSED.has(e.decision) || e.limit?.action === 'delay';
    if (actor === 'benign') {
      if (isActedOn) falseRequests++;
      continue;
    }
    attackEvents.push(e);
    if (isActedOn) {
      served.refusedOrDelayed++;
      consider(e.time, e.limit ? `limit:${e.limit.rule}` : e.decision, e.limit?.action ?? e.decision);
    }
  }
  const first = earliest.action;
  for (const e of attackEvents) {
    if (e.decision !== 'forwarded' || REFUSED.has(e.decision)) continue;
    if (first === null || attackStartSim === null || e.time - attackStartSim < first.afterSimMs) served.before++;
    else served.after++;
  }

  const attackRules = new Set([...decisionCounts.values()].map((d) => d.rule));
  let firstAlert: ScenarioScore['firstAlert'] = null;
  for (const a of input.alerts) {
    if (attackStartSim === null || !attackRules.has(a.rule)) continue;
    const at = sinceAttack(a.startsAt);
    if (firstAlert === null || at.afterSimMs < firstAlert.afterSimMs) firstAlert = { rule: a.rule, ...at };
  }

  return {
    name: plan.name,
    description: plan.description,
    requests: { benign: plan.requests.filter((r) => r.actor === 'benign').length, attack: plan.requests.filter((r) => r.actor !== 'benign').length },
    firstAction: first,
    firstAlert,
    decisions: [...decisionCounts.values()].sort((a, b) => b.count - a.count),
    attackServed: served,
    falsePositives: { requests: falseRequests, decisions: falseDecisions },
    alerts: [...new Set(input.alerts.map((a) => `${a.rule} (${a.severity})`))],
  };
}
