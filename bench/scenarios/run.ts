/**
 * The scenario bench: people and the attacks of the reference incidents,
 * sent through the gateway in front of the demo API from many loopback
 * addresses, on a simulated clock that runs 15 to 240 times the wall
 * clock. For each scenario: when apiwarden first acted on the attack and
 * alerted, in simulated and wall time; which identities; how much of the
 * attack was served; and every benign person acted on. The same traffic,
 * as an nginx access log, goes through CrowdSec and fail2ban for the same
 * table.
 *
 *   node bench/scenarios/run.ts [--only authy,dell] [--no-peers] [--seed 1] [--out results.json] [--keep-logs DIR]
 *
 * Every address is in 127.0.0.0/8; every loop is bounded by its scenario.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { loadPolicy } from '../../src/config/load.ts';
import { startDemoUpstream } from '../../src/demo/upstream.ts';
import { clientFingerprint } from '../../src/detect/fingerprint.ts';
import type { GatewayEvent } from '../../src/events/types.ts';
import { startGatewayRuntime } from '../../src/gateway/runtime.ts';
import { SCENARIOS, type ScenarioName, type ScenarioPlan } from './actors.ts';
import { createScaledClock, type ScaledClock } from './clock.ts';
import { drive, headersOf } from './drive.ts';
import { writeAccessLog } from './access-log.ts';
import { scorePeers, type PeerScore } from './peer-score.ts';
import { scoreScenario, type ScenarioScore } from './score.ts';
import { renderTable } from './table.ts';

const POLICY = fileURLToPath(new URL('apiwarden.yaml', import.meta.url));

export interface ScenarioRun {
  score: ScenarioScore;
  peers: PeerScore[];
  wallMs: number;
  errors: number;
}

export async function runScenario(plan: ScenarioPlan, options: { peers: boolean; logDir: string }): Promise<ScenarioRun> {
  const upstream = await startDemoUpstream(0, '127.0.0.1', { accounts: plan.accounts });
  const policy = await loadPolicy(POLICY);
  policy.upstreams = policy.upstreams.map((u) => ({ ...u, url: upstream.url }));
  const bearer = policy.auth.schemes.bearerAuth;
  if (bearer?.kind === 'jwt') policy.auth.schemes.bearerAuth = { ...bearer, jwksUri: upstream.jwksUri };
  // the clock starts when the traffic does; until then (start-up) it is the wall clock
  let clock: ScaledClock | null = null;
  const runtime = await startGatewayRuntime(policy, {
    watchFiles: false, handleSignals: false, logger: pino({ level: 'silent' }), clock: () => (clock ? clock.now() : Date.now()),
  });
  const events: GatewayEvent[] = [];
  runtime.bus.subscribe((e) => events.push(e));
  const tokens = new Map([['partner-0042', await upstream.mintToken('partner-0042', 7 * 24 * 3600)]]);
  const address = runtime.addresses[0]!;
  const gateway = { host: '127.0.0.1', port: address.port };
  const fingerprints = plan.requests.map((r) => clientFingerprint({ rawHeaders: headersOf(r, `${gateway.host}:${gateway.port}`, tokens) }));

  clock = createScaledClock(plan.phases);
  const started = performance.now();
  const driven = await drive(plan.requests, gateway, clock, tokens);
  // a last evaluation at the end of the scenario, and the recorder's last events
  runtime.detection?.evaluate();
  runtime.alerts.tick();
  await new Promise((r) => setTimeout(r, 100));
  const startSim = clock.startSim;
  const wallAt = clock.wallAt.bind(clock);
  const score = scoreScenario({
    plan, answers: driven.answers, fingerprints, events, decisions: runtime.detection?.decisions ?? [], alerts: runtime.alerts.list(), startSim, wallAt,
  });
  const wallMs = performance.now() - started;
  await runtime.close(2_000);
  await upstream.close();

  let peers: PeerScore[] = [];
  if (options.peers) {
    const log = join(options.logDir, `${plan.name}.access.log`);
    await writeAccessLog(log, plan.requests, startSim);
    peers = await scorePeers(log, plan, { startSim, wallAt });
  }
  return { score, peers, wallMs, errors: driven.errors };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      seed: { type: 'string', default: '1' },
      'no-peers': { type: 'boolean', default: false },
      out: { type: 'string' },
      'keep-logs': { type: 'string' },
    },
  });
  const names = (values.only ? values.only.split(',') : Object.keys(SCENARIOS)) as ScenarioName[];
  for (const n of names) if (!(n in SCENARIOS)) throw new Error(`unknown scenario "${n}"; one of ${Object.keys(SCENARIOS).join(', ')}`);
  const logDir = values['keep-logs'] ?? mkdtempSync(join(tmpdir(), 'apiwarden-scenarios-'));
  mkdirSync(logDir, { recursive: true });
  const runs: ScenarioRun[] = [];
  for (const name of names) {
    const plan = SCENARIOS[name](Number(values.seed));
    process.stderr.write(`${name}: ${plan.requests.length} requests over ${(plan.end / 60_000).toFixed(0)} simulated minutes…\n`);
    const run = await runScenario(plan, { peers: !values['no-peers'], logDir });
    process.stderr.write(`  done in ${(run.wallMs / 1000).toFixed(1)} s wall${run.errors > 0 ? `, ${run.errors} socket errors` : ''}\n`);
    runs.push(run);
  }
  if (!values['keep-logs']) rmSync(logDir, { recursive: true, force: true });
  process.stdout.write(`${renderTable(runs)}\n`);
  if (values.out) writeFileSync(values.out, `${JSON.stringify({ date: new Date().toISOString(), node: process.version, runs }, null, 2)}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
