/**
 * fail2ban as a peer of apiwarden's behaviour detection: which IPs its stock
 * jails would ban on a scenario's nginx "combined" access log, and when in
 * log time.
 *
 * fail2ban-server cannot replay a log: it skips lines older than findtime
 * relative to the wall clock and treats far-off timestamps as "now", and the
 * benchmark's logs carry simulated timestamps (2030). So the matching is done
 * by fail2ban-regex (the stock filter, each matched line's ip and time) and
 * the jail's decision is reproduced here on log time, with the server's own
 * arithmetic (FailManager.addFailure / FailTicket.adjustTime in 1.0.2), for
 * each jail's maxretry / findtime / bantime from /etc/fail2ban/jail.conf.
 *
 * Jails whose filter matches access-log lines (stock jail names):
 *   nginx-botsearch      404 on /wp-login.php, /phpmyadmin, /webmail, /cgi-bin... (first path segment only); the stock
 *                        jail reads the error log, but the filter's first failregex is written for the access log
 *   apache-badbots       a list of e-mail harvester user agents (maxretry 1)
 *   nginx-bad-request    status 400
 *   php-url-fopen        ?x=http://... in the query
 *   apache-fakegooglebot a Googlebot user agent (maxretry 1); its ignorecommand (reverse-DNS check that lets the
 *                        real Google through) is not run offline, so every claimed Googlebot counts
 *   traefik-auth         401 with a basic-auth user (normal mode: lines with user "-" do not match)
 * Not applicable, they match error-log lines only: nginx-http-auth, nginx-limit-req, apache-auth, apache-noscript,
 * apache-overflows, apache-nohome, apache-botsearch, apache-modsecurity, apache-shellshock. apache-pass is an
 * allow-list (port knocking), not a ban.
 */

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { findExecutable, runProcess, type PeerDetection, type PeerRun } from './types.ts';

const JAIL_CONF = '/etc/fail2ban/jail.conf';
export const ACCESS_LOG_JAILS = ['nginx-botsearch', 'apache-badbots', 'nginx-bad-request', 'php-url-fopen', 'apache-fakegooglebot', 'traefik-auth'];

/**
 * Replaces each filter's datepattern: the stock ones use %ExY, which only
 * accepts years close to the current one (2030 is not, in 2026). The group
 * marks the part fail2ban cuts out of the line (the filters expect "[]").
 */
const DATEPATTERN = '^[^\\[]*\\[(%d/%b/%Y:%H:%M:%S %z)';

interface Jail { maxretry: number; findtime: number; bantime: number }

/** fail2ban's time strings ("10m", "48h", "600", "1h30m", "-1") -> seconds. */
export function seconds(s: string): number {
  const unit: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800, mo: 2592000, y: 31536000 };
  if (s.trim().startsWith('-')) return Infinity; // bantime -1: permanent
  let total = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)\s*(mo|y|w|d|h|m|s)?/g)) total += Number(m[1]) * unit[m[2] ?? 's']!;
  return total;
}

/** maxretry / findtime / bantime per jail from jail.conf, falling back to [DEFAULT]. */
function readJails(text: string): (name: string) => Jail {
  const sections = new Map<string, Map<string, string>>();
  let current: Map<string, string> | undefined;
  for (const line of text.split('\n')) {
    const head = /^\[([^\]]+)\]/.exec(line);
    if (head) sections.set(head[1]!, (current = new Map()));
    const kv = /^(maxretry|findtime|bantime)\s*=\s*(\S+)/.exec(line);
    if (kv && current) current.set(kv[1]!, kv[2]!);
  }
  const get = (jail: string, key: string, dflt: string): string => sections.get(jail)?.get(key) ?? sections.get('DEFAULT')?.get(key) ?? dflt;
  return (name) => ({ maxretry: Number(get(name, 'maxretry', '5')), findtime: seconds(get(name, 'findtime', '10m')), bantime: seconds(get(name, 'bantime', '10m')) });
}

/** Python's round(): half to even. */
function pyRound(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The server's decision on log time. Per IP a ticket counts failures; a
 * failure more than findtime after the ticket's first one scales the count
 * down to the rate over the last findtime (adjustTime); the IP is banned when
 * the count reaches maxretry, and its ticket dropped. A ticket idle for
 * findtime is removed (the server's cleanup, taken as continuous here).
 * Failures during a ban are ignored: a banned client's requests would not
 * reach the server to be logged.
 */
export function bans(jail: string, cfg: Jail, matches: Array<{ ip: string; t: number }>): PeerDetection[] {
  const tickets = new Map<string, { first: number; last: number; retry: number; seen: number }>();
  const bannedUntil = new Map<string, number>();
  const out: PeerDetection[] = [];
  for (const { ip, t } of matches) {
    if (t < (bannedUntil.get(ip) ?? -Infinity)) continue;
    let k = tickets.get(ip);
    if (k === undefined || t - k.last >= cfg.findtime) tickets.set(ip, (k = { first: t, last: t, retry: 0, seen: t }));
    if (t > k.last) {
      if (k.first < t - cfg.findtime) {
        k.retry = pyRound((k.retry / (t - k.first)) * cfg.findtime);
        k.first = t - cfg.findtime;
      }
      k.last = t;
    }
    k.retry += 1;
    if (k.retry >= cfg.maxretry) {
      out.push({ tool: 'fail2ban', rule: jail, ip, time: t * 1000, firstEventTime: k.seen * 1000 });
      tickets.delete(ip);
      bannedUntil.set(ip, t + cfg.bantime);
    }
  }
  return out;
}

export async function runFail2ban(logPath: string, opts: { timeoutMs?: number } = {}): Promise<PeerRun> {
  const started = performance.now();
  const regex = findExecutable('fail2ban-regex');
  const base: PeerRun = { tool: 'fail2ban', version: '', detections: [], rulesLoaded: [], wallMs: 0 };
  if (regex === undefined) return { ...base, problem: 'fail2ban is not installed (apt-get install fail2ban)' };
  base.version = (await runProcess(regex, ['-V'], { timeoutMs: 30_000 })).stdout.trim();
  const jailOf = readJails(readFileSync(JAIL_CONF, 'utf8'));
  const problems: string[] = [];
  for (const jail of ACCESS_LOG_JAILS) {
    // -r: addresses as they are, no DNS; -o: one "<ip> <epoch seconds>" line per matched log line
    const r = await runProcess(regex, ['-r', '-d', DATEPATTERN, '-o', '<ip> <time>', resolve(logPath), jail], { timeoutMs: opts.timeoutMs ?? 30 * 60_000 });
    if (r.code !== 0 || r.timedOut) {
      problems.push(`${jail}: fail2ban-regex ${r.timedOut ? 'timed out' : `exited with ${r.code}`} ${r.stderr.trim().split('\n').at(-1) ?? ''}`);
      continue;
    }
    base.rulesLoaded.push(jail);
    const matches = r.stdout.split('\n').map((l) => /^(\S+) (\d+(?:\.\d+)?)$/.exec(l.trim())).filter((m) => m !== null)
      .map((m) => ({ ip: m[1]!, t: Number(m[2]) })).sort((a, b) => a.t - b.t);
    base.detections.push(...bans(jail, jailOf(jail), matches));
  }
  base.detections.sort((a, b) => a.time - b.time);
  return { ...base, wallMs: performance.now() - started, ...(problems.length > 0 ? { problem: problems.join('; ') } : {}) };
}
