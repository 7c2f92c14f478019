/** The scenario bench's results as the Markdown table of bench/README.md. */
import type { ScenarioRun } from './run.ts';

const minutes = (ms: number): string => `${(ms / 60_000).toFixed(1)} min`;
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

export function renderTable(runs: readonly ScenarioRun[]): string {
  const lines = [
    '| scenario | requests (benign / attack) | apiwarden: first action (sim / wall) | by | first alert (sim) | attack served before / after / refused or delayed | decisions on attackers | benign acted on | CrowdSec | fail2ban |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const { score: s, peers } of runs) {
    const action = s.firstAction ? `${minutes(s.firstAction.afterSimMs)} / ${seconds(s.firstAction.afterWallMs)}` : s.requests.attack > 0 ? '**not acted on**' : '–';
    const by = s.firstAction ? `${s.firstAction.by} (${s.firstAction.action})` : '–';
    const alert = s.firstAlert ? `${minutes(s.firstAlert.afterSimMs)} (${s.firstAlert.rule})` : '–';
    const decisions = s.decisions.map((d) => `${d.rule} ${d.action} ${d.count}×${d.kind}`).join('; ') || '–';
    const fp = `${s.falsePositives.requests} requests, ${s.falsePositives.decisions.length} decisions`;
    const peer = (tool: string): string => {
      const p = peers.find((x) => x.tool === tool);
      if (!p) return 'not run';
      if (p.problem && p.firstDetection === null && p.attackersFlagged === 0) return `not run (${p.problem})`;
      const found = p.firstDetection ? `${minutes(p.firstDetection.afterSimMs)}, ${p.attackersFlagged}/${p.attackers} addresses (${p.rules.join(', ')})` : s.requests.attack > 0 ? 'not detected' : '–';
      return `${found}; ${p.benignFlagged} benign flagged`;
    };
    lines.push(`| ${s.name} | ${s.requests.benign} / ${s.requests.attack} | ${action} | ${by} | ${alert} | ${s.attackServed.before} / ${s.attackServed.after} / ${s.attackServed.refusedOrDelayed} | ${decisions} | ${fp} | ${peer('crowdsec')} | ${peer('fail2ban')} |`);
  }
  return lines.join('\n');
}
