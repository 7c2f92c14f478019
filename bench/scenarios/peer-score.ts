/**
 * The peers' verdicts on a scenario's access log, scored like apiwarden's:
 * first detection of an attacker's address after the attack's start (log
 * time is the simulated time), attacker addresses flagged, and benign
 * addresses flagged (false positives). Both peers act per address only.
 */
import type { ScenarioPlan } from './actors.ts';
import { runCrowdsec } from './peers/crowdsec.ts';
import { runFail2ban } from './peers/fail2ban.ts';
import type { PeerRun } from './peers/types.ts';

export interface PeerScore {
  tool: string;
  version: string;
  problem: string | null;
  firstDetection: { rule: string; afterSimMs: number; afterWallMs: number } | null;
  attackersFlagged: number;
  attackers: number;
  benignFlagged: number;
  rules: string[];
}

export async function scorePeers(log: string, plan: ScenarioPlan, clock: { startSim: number; wallAt(simMs: number): number }): Promise<PeerScore[]> {
  const runs = [await runCrowdsec(log), await runFail2ban(log)];
  return runs.map((run) => scorePeer(run, plan, clock));
}

export function scorePeer(run: PeerRun, plan: ScenarioPlan, clock: { startSim: number; wallAt(simMs: number): number }): PeerScore {
  const attackers = new Set(plan.requests.filter((r) => r.actor !== 'benign').map((r) => r.ip));
  const benign = new Set(plan.requests.filter((r) => r.actor === 'benign').map((r) => r.ip));
  let first: PeerScore['firstDetection'] = null;
  const flagged = new Set<string>();
  const benignFlagged = new Set<string>();
  const rules = new Set<string>();
  for (const d of run.detections) {
    if (benign.has(d.ip)) benignFlagged.add(d.ip);
    if (!attackers.has(d.ip) || plan.attackStart === null) continue;
    flagged.add(d.ip);
    rules.add(d.rule);
    const afterSimMs = d.time - (clock.startSim + plan.attackStart);
    if (first === null || afterSimMs < first.afterSimMs) {
      // log timestamps have whole seconds: the wall delay is that of the simulated one
      first = { rule: d.rule, afterSimMs, afterWallMs: clock.wallAt(d.time - clock.startSim) - clock.wallAt(plan.attackStart) };
    }
  }
  return {
    tool: run.tool, version: run.version, problem: run.problem ?? null, firstDetection: first,
    attackersFlagged: flagged.size, attackers: attackers.size, benignFlagged: benignFlagged.size, rules: [...rules],
  };
}
