/**
 * CrowdSec as a peer of apiwarden's behaviour detection: replays an nginx
 * access log in CrowdSec's time-machine mode (`crowdsec -dsn file://LOG
 * -type nginx`), where leaky buckets run on the log's own timestamps, and
 * returns every alert with its log-time start and overflow.
 *
 * Written for Debian's crowdsec 1.4.6 package, offline. Everything lives in a
 * temp dir made per run (config, LAPI sqlite DB, machine credentials, data
 * files) and removed afterwards; /etc/crowdsec and /var/lib/crowdsec are not
 * used (the package's postinst fails without internet, CAPI registration),
 * except that the grok patterns are read from /etc/crowdsec/patterns, the
 * only place the package ships them.
 *
 * Items: the crowdsecurity/nginx collection and what it pulls in
 * (base-http-scenarios, http-cve), resolved from the hub snapshot in
 * /usr/share/crowdsec/hub, plus the parsers a stock install gets from
 * crowdsecurity/linux (syslog-logs, whose second document is the
 * "non-syslog" parser every file source needs, and dateparse-enrich, which
 * turns the log's timestamp into the event time) and Debian's default
 * crowdsecurity/whitelists (private addresses never alert). `cscli
 * collections install` cannot be used offline (it asks version.crowdsec.net
 * for the hub branch, then downloads every item even when the snapshot has
 * it), so items are symlinked the way Debian's postinst does: vendor dir
 * dropped, <config>/<type>/<stage>/<name>.yaml -> hub file.
 *
 * Alerts are read from the sqlite DB after the run: `cscli alerts list`
 * needs the LAPI up, and in replay mode the LAPI lives inside the crowdsec
 * process, which exits at the end of the file. Their started_at / stopped_at
 * are log time (checked: first event in the bucket / the overflowing event,
 * second resolution like the log). Between runs on the same log, the first
 * alert per (IP, scenario) is the same; repeat alerts after a bucket's
 * blackhole can move by a second or more (the 1.4 time machine is not fully
 * deterministic), so consumers should score the first one.
 */

import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { parse, parseAllDocuments } from 'yaml';
import { findExecutable, runProcess, type PeerDetection, type PeerRun } from './types.ts';

const HUB = '/usr/share/crowdsec/hub';
const DATA = '/usr/share/crowdsec/data';
const PATTERNS = '/etc/crowdsec/patterns';
const COLLECTIONS = ['crowdsecurity/nginx'];
const BASE_PARSERS = ['crowdsecurity/syslog-logs', 'crowdsecurity/dateparse-enrich', 'crowdsecurity/whitelists'];
const KINDS = ['parsers', 'scenarios', 'postoverflows', 'collections'] as const;
type Kind = (typeof KINDS)[number];
type HubIndex = Record<Kind, Record<string, { path: string }>>;

/** Hub items (kind, name -> hub-relative path) of the collections, recursively; names the snapshot lacks go to `missing`. */
function resolveItems(index: HubIndex, missing: string[]): Map<string, string> {
  const items = new Map<string, string>();
  const add = (kind: Kind, name: string): void => {
    const path = index[kind]?.[name]?.path;
    if (path === undefined || !existsSync(join(HUB, path))) {
      missing.push(`${kind}/${name}`);
      return;
    }
    if (items.has(path)) return;
    items.set(path, name);
    if (kind !== 'collections') return;
    const coll = (parse(readFileSync(join(HUB, path), 'utf8')) ?? {}) as Partial<Record<Kind, string[]>>;
    for (const k of KINDS) for (const n of coll[k] ?? []) add(k, n);
  };
  COLLECTIONS.forEach((c) => add('collections', c));
  BASE_PARSERS.forEach((p) => add('parsers', p));
  return items;
}

/** Symlinks items into the config dir and copies the data files their YAML documents ask for. */
function installItems(cfg: string, items: Map<string, string>, missing: string[]): void {
  for (const path of items.keys()) {
    if (path.startsWith('collections/')) continue; // crowdsec reads parsers and scenarios, not collections
    const parts = path.split('/'); // parsers/s01-parse/crowdsecurity/x.yaml, scenarios/crowdsecurity/x.yaml
    const link = join(cfg, ...parts.slice(0, -2), parts.at(-1)!);
    mkdirSync(dirname(link), { recursive: true });
    if (!existsSync(link)) symlinkSync(join(HUB, path), link);
    for (const doc of parseAllDocuments(readFileSync(join(HUB, path), 'utf8'))) {
      const data = (doc.toJS() as { data?: Array<{ dest_file?: string; source_url?: string }> } | null)?.data ?? [];
      for (const { dest_file: dest, source_url: url } of data) {
        if (dest === undefined || existsSync(join(cfg, 'data', dest))) continue;
        // Debian ships some files under their source name (http_path_traversal.txt is path_traversal.txt)
        const from = [dest, basename(url ?? '')].map((f) => join(DATA, f)).find((f) => f !== DATA && existsSync(f));
        if (from === undefined) missing.push(`data file ${dest} (${path})`);
        else copyFileSync(from, join(cfg, 'data', dest));
      }
    }
  }
}

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer().once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => ok(port));
    });
  });
}

function writeConfig(cfg: string, port: number): void {
  writeFileSync(join(cfg, 'config.yaml'), `common:
  daemonize: false
  log_media: stdout
  log_level: info
  working_dir: ${cfg}
config_paths:
  config_dir: ${cfg}/
  data_dir: ${cfg}/data/
  simulation_path: ${cfg}/simulation.yaml
  hub_dir: ${HUB}/
  index_path: ${HUB}/.index.json
  notification_dir: ${cfg}/notifications/
  plugin_dir: /usr/lib/crowdsec/plugins/
crowdsec_service:
  acquisition_path: ${cfg}/acquis.yaml
  parser_routines: 1
cscli:
  output: json
  color: no
db_config:
  type: sqlite
  db_path: ${cfg}/crowdsec.db
  use_wal: false
  log_level: warning
api:
  client:
    credentials_path: ${cfg}/local_api_credentials.yaml
  server:
    log_level: warning
    listen_uri: 127.0.0.1:${port}
    profiles_path: ${cfg}/profiles.yaml
prometheus:
  enabled: false
`);
  // the stock profile: an alert with remediation on an IP becomes a 4h ban
  writeFileSync(join(cfg, 'profiles.yaml'), `name: default_ip_remediation
filters:
 - Alert.Remediation == true && Alert.GetScope() == "Ip"
decisions:
 - type: ban
   duration: 4h
on_success: break
`);
  writeFileSync(join(cfg, 'simulation.yaml'), 'simulation: off\n');
  writeFileSync(join(cfg, 'acquis.yaml'), ''); // the log comes from -dsn
}

/** "2030-01-07 10:02:00+00:00" (as stored by the LAPI) -> ms. */
function dbTime(s: string): number {
  return Date.parse(s.replace(' ', 'T'));
}

export async function runCrowdsec(logPath: string, opts: { timeoutMs?: number } = {}): Promise<PeerRun> {
  const started = performance.now();
  const crowdsec = findExecutable('crowdsec');
  const cscli = findExecutable('cscli');
  const base: PeerRun = { tool: 'crowdsec', version: '', detections: [], rulesLoaded: [], wallMs: 0 };
  if (crowdsec === undefined || cscli === undefined || !existsSync(join(HUB, '.index.json'))) {
    return { ...base, problem: 'crowdsec is not installed (apt-get install crowdsec)' };
  }
  const v = await runProcess(crowdsec, ['-version'], { timeoutMs: 30_000 });
  base.version = /version: (\S+)/.exec(v.stdout + v.stderr)?.[1] ?? 'unknown';
  const cfg = mkdtempSync(join(tmpdir(), 'peer-crowdsec-'));
  const problems: string[] = [];
  try {
    const missing: string[] = [];
    mkdirSync(join(cfg, 'data'));
    symlinkSync(PATTERNS, join(cfg, 'patterns'));
    installItems(cfg, resolveItems(JSON.parse(readFileSync(join(HUB, '.index.json'), 'utf8')) as HubIndex, missing), missing);
    if (missing.length > 0) problems.push(`not in the offline hub: ${missing.join(', ')}`);
    writeConfig(cfg, await freePort());
    const add = await runProcess(cscli, ['-c', join(cfg, 'config.yaml'), 'machines', 'add', '--auto', '--force', '-f', join(cfg, 'local_api_credentials.yaml')],
      { cwd: cfg, timeoutMs: 60_000 });
    if (add.code !== 0) return { ...base, wallMs: performance.now() - started, problem: `cscli machines add failed: ${add.stderr.trim()}` };

    const run = await runProcess(crowdsec, ['-c', join(cfg, 'config.yaml'), '-dsn', `file://${resolve(logPath)}`, '-type', 'nginx', '-no-capi'],
      { cwd: cfg, timeoutMs: opts.timeoutMs ?? 30 * 60_000 });
    const log = run.stdout + run.stderr;
    const rules = [...log.matchAll(/Adding \w+ bucket.* name=(\S+)/g)].map((m) => m[1]!);
    // GeoIP enrichers fail to register without their (downloaded) mmdb files: harmless, no parser uses them here
    const errors = [...new Set([...log.matchAll(/level=(?:error|fatal) msg="([^"]{0,200})/g)].map((m) => m[1]!))]
      .filter((e) => !/unable to register plugin '(GeoIp|IpToRange)/.test(e));
    if (errors.length > 0) problems.push(`crowdsec logged errors: ${errors.slice(0, 3).join(' | ')}`);
    if (run.timedOut) problems.push('crowdsec timed out; alerts so far only');
    else if (run.code !== 0) problems.push(`crowdsec exited with ${run.code}: ${log.trim().split('\n').slice(-3).join(' | ')}`);

    const dbPath = join(cfg, 'crowdsec.db');
    if (!existsSync(dbPath)) return { ...base, wallMs: performance.now() - started, problem: `no LAPI database; ${problems.join('; ')}` };
    const db = new DatabaseSync(dbPath, { readOnly: true });
    const rows = db.prepare(`SELECT scenario, source_value AS ip, started_at, stopped_at FROM alerts
      WHERE source_scope = 'Ip' ORDER BY id`).all() as Array<{ scenario: string; ip: string; started_at: string; stopped_at: string }>;
    db.close();
    // every overflow is logged as "Ip X performed 'S' ..."; fewer rows means alerts were lost on the way to the LAPI
    const overflows = (log.match(/ performed '/g) ?? []).length;
    if (rows.length !== overflows) problems.push(`${overflows} overflows logged but ${rows.length} alerts in the DB`);
    const detections = rows.map((r): PeerDetection => ({
      tool: 'crowdsec', rule: r.scenario, ip: r.ip, time: dbTime(r.stopped_at), firstEventTime: dbTime(r.started_at),
    })).sort((a, b) => a.time - b.time);
    const out: PeerRun = { ...base, detections, rulesLoaded: [...new Set(rules)].sort(), wallMs: performance.now() - started };
    if (problems.length > 0) out.problem = problems.join('; ');
    return out;
  } finally {
    rmSync(cfg, { recursive: true, force: true });
  }
}
