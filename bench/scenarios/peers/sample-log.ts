/**
 * A small nginx "combined" access log with known actors, to check that the
 * peer runners (crowdsec.ts, fail2ban.ts) see what they should before they
 * are trusted on the scenario benchmark's logs:
 *
 *   node bench/scenarios/peers/sample-log.ts OUT.log   # write the log
 *   node bench/scenarios/peers/sample-log.ts --smoke   # write, run both peers, check
 *
 * Actors (log time 07/Jan/2030 10:00-10:15 UTC; addresses are public
 * documentation/example ranges because CrowdSec's stock whitelist drops
 * private ones):
 *   benign     203.0.113.1-50  a browsing session each, all 2xx but a missing favicon
 *   scanner    185.100.0.10    300 unknown paths (/.env, /wp-login.php, ...) at 5/s, 404
 *   stuffer    185.100.0.20    100 POST /v2/sessions -> 401 over 2 minutes
 *   harvester  185.100.0.30    2,000 distinct GET /v2/accounts/{id} over 10 minutes, 90 % 404
 * --smoke fails unless both peers flag the scanner; what they do with the
 * stuffer and the harvester is printed, not asserted (that is the comparison).
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCrowdsec } from './crowdsec.ts';
import { runFail2ban } from './fail2ban.ts';
import type { PeerRun } from './types.ts';

export const START = Date.UTC(2030, 0, 7, 10, 0, 0);
export const ACTORS = { scanner: '185.100.0.10', stuffer: '185.100.0.20', harvester: '185.100.0.30' } as const;

const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** nginx $time_local in UTC. */
export function nginxTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

/** mulberry32: the same log on every run. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Hit { t: number; ip: string; method: string; path: string; status: number; bytes: number; ua: string }

/**
 * 300 distinct probe paths, as a wordlist scanner sends them: 50 well-known
 * targets at the top level (dotfiles, WordPress, phpMyAdmin, webmail,
 * cgi-bin, framework debug pages), then the same under a few directories.
 */
function probePaths(): string[] {
  const targets = ['.env', '.env.bak', '.env.local', '.env.production', '.git/config', '.git/HEAD', '.svn/entries',
    '.htpasswd', '.htaccess', '.DS_Store', '.aws/credentials', '.vscode/sftp.json', '.ssh/id_rsa', 'wp-login.php',
    'wp-admin/', 'wp-config.php.bak', 'xmlrpc.php', 'admin/config.php', 'administrator/', 'phpmyadmin/',
    'phpMyAdmin/index.php', 'pma/', 'myadmin/', 'mysqladmin/', 'admin/pma/', 'webmail/', 'roundcube/', 'mail/',
    'cgi-bin/test.cgi', 'cgi-bin/php', 'server-status', 'phpinfo.php', 'info.php', 'config.php.bak', 'config.json',
    'backup.sql', 'db.sql.gz', 'dump.sql', 'web.config', 'docker-compose.yml', 'actuator/env', 'debug/default/view',
    'storage/logs/laravel.log', 'vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php', 'shell.php', 'manager/html',
    'solr/admin/info/system', 'owa/auth/logon.aspx', 'telescope/requests', '_profiler/phpinfo'];
  return ['', 'old/', 'backup/', 'new/', 'app/', 'dev/'].flatMap((p) => targets.map((t) => `/${p}${t}`));
}

function generate(): Hit[] {
  const r = rng(2030);
  const hits: Hit[] = [];
  for (let i = 1; i <= 50; i++) {
    const ip = `203.0.113.${i}`;
    let t = START + Math.floor(r() * 600_000);
    const own = 1_000_000 + i;
    const session: Array<[string, string, number]> = [['POST', '/v2/sessions', 201], ['GET', '/static/app.js', 200],
      ['GET', '/favicon.ico', 404], ['GET', '/v2/accounts/me', 200], [`GET`, `/v2/accounts/${own}`, 200]];
    for (let k = 1; k <= 20; k++) session.push(['GET', `/v2/items?page=${k}`, 200]);
    for (const [method, path, status] of session) {
      hits.push({ t, ip, method, path, status, bytes: 200 + Math.floor(r() * 5000), ua: BROWSER });
      t += 2_000 + Math.floor(r() * 20_000);
    }
  }
  probePaths().forEach((path, k) =>
    hits.push({ t: START + 120_000 + k * 200, ip: ACTORS.scanner, method: 'GET', path, status: 404, bytes: 153, ua: BROWSER }));
  for (let k = 0; k < 100; k++) {
    hits.push({ t: START + 300_000 + k * 1_200, ip: ACTORS.stuffer, method: 'POST', path: '/v2/sessions', status: 401, bytes: 17, ua: BROWSER });
  }
  for (let k = 0; k < 2_000; k++) {
    const found = r() < 0.1;
    hits.push({ t: START + 180_000 + k * 300, ip: ACTORS.harvester, method: 'GET', path: `/v2/accounts/${2_000_000 + k * 7}`,
      status: found ? 200 : 404, bytes: found ? 812 : 17, ua: 'python-requests/2.32.3' });
  }
  // crowdsec's time machine and fail2ban both expect a log in time order
  return hits.sort((a, b) => a.t - b.t);
}

export function writeSampleLog(path: string): void {
  const lines = generate().map((h) =>
    `${h.ip} - - [${nginxTime(h.t)}] "${h.method} ${h.path} HTTP/1.1" ${h.status} ${h.bytes} "-" "${h.ua}"\n`);
  writeFileSync(path, lines.join(''));
}

function summarise(run: PeerRun): void {
  const actorOf = new Map<string, string>(Object.entries(ACTORS).map(([k, v]) => [v, k]));
  console.log(`${run.tool} ${run.version}: ${run.detections.length} detections in ${Math.round(run.wallMs)} ms` +
    `${run.problem ? ` (problem: ${run.problem})` : ''}`);
  for (const d of run.detections) {
    console.log(`  ${actorOf.get(d.ip) ?? 'benign?'} ${d.ip} ${d.rule} at +${(d.time - START) / 1000}s (${new Date(d.time).toISOString()})`);
  }
}

async function smoke(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'peers-sample-'));
  try {
    const log = join(dir, 'access.log');
    writeSampleLog(log);
    const runs = [await runCrowdsec(log), await runFail2ban(log)];
    runs.forEach(summarise);
    const flagged = runs.map((run) => run.detections.some((d) => d.ip === ACTORS.scanner));
    const botsearch = runs[1]!.detections.some((d) => d.ip === ACTORS.scanner && d.rule === 'nginx-botsearch');
    const ok = flagged.every(Boolean) && botsearch;
    console.log(ok ? 'smoke: ok' : 'smoke: FAILED (both peers should flag the scanner, fail2ban through nginx-botsearch)');
    return ok ? 0 : 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const arg = process.argv[2];
  if (arg === undefined) throw new Error('usage: sample-log.ts OUT.log | --smoke');
  if (arg === '--smoke') process.exitCode = await smoke();
  else writeSampleLog(arg);
}
