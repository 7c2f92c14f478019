/**
 * Both peers on one access log, for manual use and for checking what the
 * scenario benchmark will get from them:
 *
 *   node bench/scenarios/peers/run-peers.ts ACCESS.LOG > peers.json
 *
 * prints { crowdsec: PeerRun, fail2ban: PeerRun } (times in ms since epoch,
 * log time). The two run one after the other so that each wallMs is its own.
 */

import { runCrowdsec } from './crowdsec.ts';
import { runFail2ban } from './fail2ban.ts';
import type { PeerRun } from './types.ts';

export async function runPeers(logPath: string): Promise<{ crowdsec: PeerRun; fail2ban: PeerRun }> {
  const crowdsec = await runCrowdsec(logPath);
  const fail2ban = await runFail2ban(logPath);
  return { crowdsec, fail2ban };
}

if (import.meta.main) {
  const log = process.argv[2];
  if (log === undefined) throw new Error('usage: run-peers.ts ACCESS.LOG');
  console.log(JSON.stringify(await runPeers(log), null, 2));
}
