/**
 * Proxy throughput with a rate limit on, in one run, the same limit for
 * each: apiwarden (one rule keyed on the client address) against nginx
 * (`limit_req`) and HAProxy (a stick table with `http_req_rate`), all in
 * front of the same upstream, with wrk. Each proxy runs three times:
 *
 *   off   no limit configured (the proxy alone);
 *   pass  a limit of 1,000,000/s that the load never reaches: the cost of
 *         deciding on every request while everything passes;
 *   hit   a limit of 100/s: nearly every request is refused with 429.
 *
 * plus apiwarden with its Redis store (pass, hit; `--no-redis` skips it) and
 * the upstream alone. One core each (the "split" layout of bench/proxy):
 * wrk and the upstream pinned to CPU 0, the proxy (one worker or thread) to
 * CPU 1. One worker also keeps the limit the same: apiwarden's memory store
 * is per process, nginx's zone and HAProxy's table are shared by workers.
 *
 * Before a `hit` run the target must answer 429 to a quick burst (and only
 * 2xx or 429); before the others every request shape must answer 2xx.
 * Results go to bench/limiter/results/<time>-proxy.json and .md.
 *
 *   node bench/limiter/proxy.ts                 # everything, one pass (~5 min)
 *   node bench/limiter/proxy.ts --runs 2        # two passes, to judge the noise
 *   node bench/limiter/proxy.ts --only apiwarden.off,apiwarden.pass --no-redis
 *   node bench/limiter/proxy.ts --report bench/limiter/results/<file>.json
 *
 * Ports 18180-18184 on 127.0.0.1 (bench/proxy uses 18080-18084, bench/auth
 * 18090-18092). nginx, HAProxy and apiwarden run in their own process groups
 * with their files in a temp dir, and are stopped after each measurement
 * (and on Ctrl-C); every tool has a time limit; apiwarden's Redis keys live
 * under a random prefix and are deleted afterwards.
 */

import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { parse, stringify } from 'yaml';
import {
  APIWARDEN_ENTRY, HOST, isPortOpen, machine, makeTempDir, nginxArgs, pinned, runTool, sleep, startProcess, stopAll, stopProcess, versions, waitForLog,
  waitForPort, type Proc, type WrkResult,
} from '../proxy/lib.ts';
import { assertLoopbackRedis, callsBetween, commandCalls, deleteKeys, fmtInt, LIMITER_DIR, mean, pct, ratio, redisInfo, RESULTS_DIR, stamp, waitQuiet, watchOthers } from './common.ts';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '64' },
    'pass-limit': { type: 'string', default: '1000000' },
    'hit-limit': { type: 'string', default: '100' },
    runs: { type: 'string', default: '1' },
    only: { type: 'string' },
    'no-redis': { type: 'boolean', default: false },
    redis: { type: 'string', default: 'redis://127.0.0.1:6379' },
    'keep-temp': { type: 'boolean', default: false },
    report: { type: 'string' },
  },
});

const PORTS = { upstream: 18180, nginx: 18181, haproxy: 18182, apiwarden: 18184 } as const;
/** wrk and the upstream on CPU 0, the proxy on CPU 1 */
const LOAD_CPUS = '0';
const PROXY_CPUS = '1';

type Proxy = 'upstream' | 'nginx' | 'haproxy' | 'apiwarden' | 'apiwarden-redis';
type Mode = 'off' | 'pass' | 'hit';
interface Target {
  id: string;
  proxy: Proxy;
  mode: Mode;
}

const PROXY_LABELS: Record<Proxy, string> = {
  upstream: 'upstream alone (direct)',
  nginx: 'nginx `limit_req`',
  haproxy: 'HAProxy stick table',
  apiwarden: 'apiwarden, memory store',
  'apiwarden-redis': 'apiwarden, Redis store',
};

function allTargets(withRedis: boolean): Target[] {
  const targets: Target[] = [{ id: 'upstream.off', proxy: 'upstream', mode: 'off' }];
  for (const proxy of ['nginx', 'haproxy', 'apiwarden'] as const) {
    for (const mode of ['off', 'pass', 'hit'] as const) targets.push({ id: `${proxy}.${mode}`, proxy, mode });
  }
  if (withRedis) for (const mode of ['pass', 'hit'] as const) targets.push({ id: `apiwarden-redis.${mode}`, proxy: 'apiwarden-redis', mode });
  return targets;
}

interface TargetResult {
  target: Target;
  /** requests per second the limit allows (null: no limit) */
  limit: number | null;
  wrk?: WrkResult;
  /** the quick burst before measuring: status → count */
  preflight?: Record<string, number>;
  /** apiwarden with Redis: commands Redis ran during the measurement (INFO commandstats), by name */
  redisCommands?: Record<string, number>;
  othersCpu?: number;
  error?: string;
}

interface Results {
  startedAt: string;
  machine: ReturnType<typeof machine> & { note: string };
  versions: Record<string, string>;
  settings: Record<string, number | string>;
  runs: TargetResult[][];
  redisKeysLeft: number | null;
}

// ---------------------------------------------------------------- configs

const UPSTREAM_BODY = '{"id":"cus_1042","status":"active","plan":"pro","devices":2,"updatedAt":"2025-11-02T10:00:00Z"}';
const isRoot = process.getuid?.() === 0;

function nginxHead(dir: string, name: string): string {
  mkdirSync(join(dir, `${name}-tmp`), { recursive: true });
  return `# generated by bench/limiter/proxy.ts
${isRoot ? 'user root;\n' : ''}daemon off;
master_process on;
worker_processes 1;
pid ${dir}/${name}.pid;
error_log ${dir}/${name}-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/${name}-tmp/body;
  proxy_temp_path ${dir}/${name}-tmp/proxy;
  fastcgi_temp_path ${dir}/${name}-tmp/fastcgi;
  uwsgi_temp_path ${dir}/${name}-tmp/uwsgi;
  scgi_temp_path ${dir}/${name}-tmp/scgi;
  keepalive_requests 1000000;
  keepalive_timeout 60s;
`;
}

/** the upstream: nginx answering every path with the same small JSON (as bench/proxy's) */
function writeUpstreamConf(dir: string): string {
  const file = join(dir, 'upstream-nginx.conf');
  writeFileSync(file, `${nginxHead(dir, 'upstream-nginx')}  server {
    listen ${HOST}:${PORTS.upstream} reuseport backlog=4096;
    default_type application/json;
    location / { return 200 '${UPSTREAM_BODY}'; }
  }
}
`);
  return file;
}

/**
 * nginx as in bench/proxy, plus limit_req: a leaky bucket at `limit` r/s per
 * client address, `burst` = limit (apiwarden's default burst), `nodelay` so
 * the burst is served at once instead of queued, refusals as 429.
 */
function writeNginxConf(dir: string, limit: number | null): string {
  const file = join(dir, 'proxy-nginx.conf');
  const zone = limit === null ? '' : `  limit_req_zone $binary_remote_addr zone=perip:10m rate=${limit}r/s;\n  limit_req_status 429;\n`;
  const apply = limit === null ? '' : `      limit_req zone=perip burst=${limit} nodelay;\n`;
  writeFileSync(file, `${nginxHead(dir, 'proxy-nginx')}${zone}  upstream app {
    server ${HOST}:${PORTS.upstream};
    keepalive 128;
    keepalive_requests 1000000;
  }
  server {
    listen ${HOST}:${PORTS.nginx} reuseport backlog=4096;
    location / {
${apply}      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
    }
  }
}
`);
  return file;
}

/** HAProxy as in bench/proxy, plus a stick table counting each address's request rate over 1 s; above `limit`, 429 */
function writeHaproxyCfg(dir: string, limit: number | null): string {
  const file = join(dir, 'haproxy.cfg');
  const rules = limit === null ? '' : `  stick-table type ip size 1m expire 10s store http_req_rate(1s)
  http-request track-sc0 src
  http-request deny deny_status 429 if { sc_http_req_rate(0) gt ${limit} }
`;
  writeFileSync(file, `# generated by bench/limiter/proxy.ts
global
  nbthread 1
  maxconn 4096
  pidfile ${dir}/haproxy.pid

defaults
  mode http
  option http-keep-alive
  option forwardfor
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  timeout http-keep-alive 30s

frontend fe
  bind ${HOST}:${PORTS.haproxy}
${rules}  default_backend app

backend app
  server upstream ${HOST}:${PORTS.upstream}
`);
  return file;
}

/** bench/limiter/apiwarden.yaml with the document by absolute path and the target's limits */
function writeApiwardenPolicy(dir: string, name: string, limit: number | null, redis: { url: string; prefix: string } | null): string {
  const policy = parse(readFileSync(join(LIMITER_DIR, 'apiwarden.yaml'), 'utf8')) as {
    listeners: Array<{ host: string; port: number }>;
    upstreams: Array<{ url: string; openapi: string }>;
    rateLimits?: { store: string; redis?: Record<string, string>; rules: Array<{ limits: Array<{ limit: number; per: string; burst: number }> }> };
  };
  const listener = policy.listeners[0]!;
  if (listener.host !== HOST || listener.port !== PORTS.apiwarden) throw new Error(`apiwarden.yaml must listen on ${HOST}:${PORTS.apiwarden}`);
  if (policy.upstreams[0]!.url !== `http://${HOST}:${PORTS.upstream}`) throw new Error(`apiwarden.yaml's upstream must be http://${HOST}:${PORTS.upstream}`);
  policy.upstreams[0]!.openapi = resolve(LIMITER_DIR, policy.upstreams[0]!.openapi);
  if (limit === null) {
    delete policy.rateLimits;
  } else {
    const rl = policy.rateLimits!;
    rl.rules[0]!.limits = [{ limit, per: '1s', burst: limit }];
    if (redis) {
      rl.store = 'redis';
      rl.redis = { url: redis.url, prefix: redis.prefix };
    }
  }
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, `# generated by bench/limiter/proxy.ts from bench/limiter/apiwarden.yaml\n${stringify(policy)}`);
  return file;
}

// ---------------------------------------------------------------- load

async function runWrk(url: string, durationS: number, connections: number): Promise<WrkResult> {
  const [cmd, args] = pinned(LOAD_CPUS, 'wrk', ['-t1', `-c${connections}`, `-d${durationS}s`, '--timeout', '5s', '-s', join(LIMITER_DIR, 'limits.lua'), url]);
  const out = await runTool(cmd, args, (durationS + 30) * 1000);
  const line = out.split('\n').find((l) => l.startsWith('WRK_RESULT '));
  if (!line) throw new Error(`wrk printed no WRK_RESULT line:\n${out}`);
  const r = JSON.parse(line.slice('WRK_RESULT '.length)) as Omit<WrkResult, 'rps'>;
  return { ...r, rps: Math.round(r.requests / (r.durationUs / 1e6)) };
}

const PATHS = ['/api/v1/customers/cus_1042', '/api/v1/customers/cus_1042/orders/ord_3126', '/api/v1/orders?status=open&limit=20', '/api/v1/products/SKU-42'];

/**
 * `count` requests one after the other on keep-alive connections, cycling
 * over the request shapes; returns status → count. With the limit off or not
 * reached every answer must be 2xx; with `hit` some must be 429 and the rest
 * 2xx (so that wrk's non-2xx count is the refusals).
 */
async function preflight(port: number, mode: Mode, count: number): Promise<Record<string, number>> {
  const statuses: Record<string, number> = {};
  for (let i = 0; i < count; i++) {
    const res = await fetch(`http://${HOST}:${port}${PATHS[i % PATHS.length]}`, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(5000) });
    await res.arrayBuffer();
    statuses[res.status] = (statuses[res.status] ?? 0) + 1;
  }
  const codes = Object.keys(statuses);
  if (mode === 'hit') {
    if (!statuses['429'] || codes.some((c) => c !== '429' && !c.startsWith('2'))) throw new Error(`preflight: expected 2xx then 429, got ${JSON.stringify(statuses)}`);
  } else if (codes.some((c) => !c.startsWith('2'))) {
    throw new Error(`preflight: expected only 2xx, got ${JSON.stringify(statuses)}`);
  }
  return statuses;
}

// ---------------------------------------------------------------- the run

const BUSY_SHARE = 0.15;
const MAX_ATTEMPTS = 3;

async function main(): Promise<void> {
  if (values.report) {
    process.stdout.write(renderMarkdown(JSON.parse(readFileSync(values.report, 'utf8')) as Results));
    return;
  }
  const settings = {
    durationS: Number(values.duration),
    warmupS: Number(values.warmup),
    connections: Number(values.connections),
    passLimit: Number(values['pass-limit']),
    hitLimit: Number(values['hit-limit']),
    redis: values['no-redis'] ? 'not used' : values.redis,
    apiwardenEntry: APIWARDEN_ENTRY,
  };
  let targets = allTargets(!values['no-redis']);
  if (values.only) {
    const only = values.only.split(',');
    for (const id of only) if (!targets.some((t) => t.id === id)) throw new Error(`--only: unknown target ${id}; one of ${targets.map((t) => t.id).join(', ')}`);
    targets = targets.filter((t) => only.includes(t.id));
  }
  for (const [name, port] of Object.entries(PORTS)) {
    if (await isPortOpen(port)) throw new Error(`port ${port} (${name}) is already in use on ${HOST}; stop what listens there first`);
  }
  const redisPrefix = `awbench-${randomBytes(4).toString('hex')}:`;
  const usesRedis = targets.some((t) => t.proxy === 'apiwarden-redis');
  if (usesRedis) assertLoopbackRedis(values.redis);
  const admin = usesRedis ? new Redis(values.redis, { maxRetriesPerRequest: 1 }) : null;
  const redisPid = admin ? Number((await redisInfo(admin, 'server')).process_id ?? 0) : 0;

  const dir = makeTempDir();
  process.stderr.write(`bench: temp dir ${dir}; wrk and the upstream on CPU ${LOAD_CPUS}, the proxy on CPU ${PROXY_CPUS}\n`);
  const results: Results = {
    startedAt: new Date().toISOString(),
    machine: { ...machine(), note: 'a shared 2-core VM: other engineers\' processes may run during the measurements (see "others\' CPU")' },
    versions: { ...versions(), ...(admin ? { redis: (await redisInfo(admin, 'server')).redis_version ?? '' } : {}) },
    settings,
    runs: [],
    redisKeysLeft: null,
  };

  const running: Proc[] = [];
  // the processes of this benchmark (and the Redis server, when apiwarden uses it) are not "others"
  const ours = (): { groups: number[]; pids: number[] } => ({
    groups: running.map((p) => p.child.pid ?? -1),
    pids: redisPid > 0 ? [redisPid] : [],
  });

  const upstream = startProcess('upstream-nginx', dir, ...pinned(LOAD_CPUS, 'nginx', nginxArgs(dir, writeUpstreamConf(dir), 'upstream-nginx')));
  running.push(upstream);
  await waitForPort(PORTS.upstream, upstream);

  try {
    for (let run = 0; run < Number(values.runs); run++) {
      const pass: TargetResult[] = [];
      results.runs.push(pass);
      for (const target of targets) {
        const limit = target.mode === 'off' ? null : target.mode === 'pass' ? settings.passLimit : settings.hitLimit;
        const result: TargetResult = { target, limit };
        pass.push(result);
        process.stderr.write(`bench: run ${run + 1}, ${PROXY_LABELS[target.proxy]}, ${target.mode}${limit === null ? '' : ` (limit ${fmtInt(limit)}/s)`}\n`);
        let proc: Proc | null = null;
        try {
          await waitQuiet(ours, 0.1, 60_000);
          proc = await startTarget(target, dir, run, limit, { url: values.redis, prefix: redisPrefix });
          if (proc) running.push(proc);
          const port = target.proxy === 'upstream' ? PORTS.upstream : PORTS[target.proxy === 'apiwarden-redis' ? 'apiwarden' : target.proxy];
          // enough requests to cross a limit of hitLimit/s with its burst of as many
          result.preflight = await preflight(port, target.mode, target.mode === 'hit' ? settings.hitLimit * 4 : PATHS.length * 2);
          const url = `http://${HOST}:${port}`;
          await runWrk(url, settings.warmupS, settings.connections);
          for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            if (attempt > 1) {
              process.stderr.write(`  others were busy; measuring again (attempt ${attempt})\n`);
              await waitQuiet(ours, 0.1, 60_000);
            }
            const others = watchOthers(ours);
            const callsBefore = admin && target.proxy === 'apiwarden-redis' ? await commandCalls(admin) : null;
            const wrk = await runWrk(url, settings.durationS, settings.connections);
            const share = others();
            if (result.wrk === undefined || share < (result.othersCpu ?? 1)) {
              result.wrk = wrk;
              result.othersCpu = share;
              if (admin && callsBefore) result.redisCommands = callsBetween(callsBefore, await commandCalls(admin));
            }
            const refused = wrk.errors.status / wrk.requests;
            process.stderr.write(`  ${fmtInt(wrk.rps)} req/s, ${pct(refused)} refused, p50 ${ms(wrk.latencyUs.p50)} ms, p99 ${ms(wrk.latencyUs.p99)} ms; others used ${pct(share)} of the CPU\n`);
            if ((result.othersCpu ?? 1) <= BUSY_SHARE) break;
          }
        } catch (error) {
          result.error = error instanceof Error ? error.message : String(error);
          process.stderr.write(`  failed: ${result.error}\n`);
        } finally {
          if (proc) {
            await stopProcess(proc, 15_000);
            running.splice(running.indexOf(proc), 1);
          }
        }
        await sleep(1000);
      }
    }
  } finally {
    await stopAll();
    if (admin) {
      await deleteKeys(admin, redisPrefix);
      let cursor = '0';
      let left = 0;
      do {
        const [next, keys] = await admin.scan(cursor, 'MATCH', `${redisPrefix}*`, 'COUNT', 1000);
        cursor = next;
        left += keys.length;
      } while (cursor !== '0');
      results.redisKeysLeft = left;
      admin.disconnect();
    }
  }

  mkdirSync(RESULTS_DIR, { recursive: true });
  const base = join(RESULTS_DIR, `${stamp(results.startedAt)}-proxy`);
  writeFileSync(`${base}.json`, JSON.stringify(results, null, 2) + '\n');
  const md = renderMarkdown(results);
  writeFileSync(`${base}.md`, md);
  process.stdout.write(md);
  const failed = results.runs.some((run) => run.some((t) => t.error));
  if (values['keep-temp'] || failed) {
    process.stderr.write(`bench: results in ${base}.json and .md; logs and configs kept in ${dir}\n`);
  } else {
    rmSync(dir, { recursive: true, force: true });
    process.stderr.write(`bench: results in ${base}.json and .md (temp dir removed; --keep-temp keeps it)\n`);
  }
}

async function startTarget(target: Target, dir: string, run: number, limit: number | null, redis: { url: string; prefix: string }): Promise<Proc | null> {
  const name = `${target.id}-${run}`;
  switch (target.proxy) {
    case 'upstream':
      return null;
    case 'nginx': {
      const p = startProcess(name, dir, ...pinned(PROXY_CPUS, 'nginx', nginxArgs(dir, writeNginxConf(dir, limit), 'proxy-nginx')));
      await waitForPort(PORTS.nginx, p);
      return p;
    }
    case 'haproxy': {
      const p = startProcess(name, dir, ...pinned(PROXY_CPUS, 'haproxy', ['-db', '-f', writeHaproxyCfg(dir, limit)]));
      await waitForPort(PORTS.haproxy, p);
      return p;
    }
    case 'apiwarden':
    case 'apiwarden-redis': {
      const policy = writeApiwardenPolicy(dir, name, limit, target.proxy === 'apiwarden-redis' ? { url: redis.url, prefix: `${redis.prefix}${name}:` } : null);
      const p = startProcess(name, dir, ...pinned(PROXY_CPUS, process.execPath, [APIWARDEN_ENTRY, 'gateway', '-c', policy, '--no-watch']));
      await waitForPort(PORTS.apiwarden, p, 60_000);
      if (!(await waitForLog(p.logFile, /gateway listening/, 1, 30_000))) process.stderr.write(`  warning: no "gateway listening" line in ${p.logFile}\n`);
      return p;
    }
  }
}

// ---------------------------------------------------------------- report

const ms = (us: number): string => (us / 1000).toFixed(2);

function renderMarkdown(r: Results): string {
  const s = r.settings;
  const lines: string[] = [];
  lines.push(`## Proxy throughput with rate limits, ${r.startedAt}`, '');
  lines.push(`Machine: ${r.machine.cpus} cores, ${r.machine.model}, Linux ${r.machine.kernel} (${r.machine.note}). Node ${r.versions.node}, ${r.versions.nginx}, ${r.versions.haproxy}, ${r.versions.wrk}${r.versions.redis ? `, Redis ${r.versions.redis}` : ''}.`);
  lines.push(`\`wrk -t1 -c${s.connections} -d${s.durationS}s\` after a ${s.warmupS} s warm-up, from one client address; wrk and the upstream on CPU 0, the proxy (1 worker / 1 thread) on CPU 1. Limits per client address: "pass" ${fmtInt(Number(s.passLimit))}/s (never reached), "hit" ${fmtInt(Number(s.hitLimit))}/s (burst as large). ${r.runs.length} run(s), mean shown, each run in brackets.`);
  lines.push('');
  const all = r.runs.flat();
  const ids = [...new Set(all.map((t) => t.target.id))];
  const ok = (id: string): TargetResult[] => all.filter((t) => t.target.id === id && t.wrk);
  const rps = (id: string): number => mean(ok(id).map((t) => t.wrk!.rps));
  const passed = (t: TargetResult): number => (t.wrk!.requests - t.wrk!.errors.status) / (t.wrk!.durationUs / 1e6);
  lines.push('| proxy | limit | req/s | answered 2xx per s | refused (429) | p50 ms | p99 ms | socket errors | others\' CPU |');
  lines.push('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const id of ids) {
    const t0 = all.find((t) => t.target.id === id)!;
    const label = PROXY_LABELS[t0.target.proxy];
    const limit = t0.limit === null ? 'off' : `${t0.target.mode}: ${fmtInt(t0.limit)}/s`;
    const xs = ok(id);
    if (xs.length === 0) {
      const error = all.find((t) => t.target.id === id && t.error)?.error ?? 'no result';
      lines.push(`| ${label} | ${limit} | failed: ${error.split('\n')[0]} | | | | | | |`);
      continue;
    }
    const each = xs.length > 1 ? ` (${xs.map((t) => fmtInt(t.wrk!.rps)).join(', ')})` : '';
    const refused = mean(xs.map((t) => t.wrk!.errors.status / t.wrk!.requests));
    const sockets = xs.reduce((n, t) => n + t.wrk!.errors.connect + t.wrk!.errors.read + t.wrk!.errors.write + t.wrk!.errors.timeout, 0);
    lines.push(`| ${label} | ${limit} | ${fmtInt(rps(id))}${each} | ${fmtInt(mean(xs.map(passed)))} | ${(refused * 100).toFixed(refused > 0 && refused < 0.01 ? 2 : 1)}% | ${ms(mean(xs.map((t) => t.wrk!.latencyUs.p50)))} | ${ms(mean(xs.map((t) => t.wrk!.latencyUs.p99)))} | ${sockets} | ${xs.map((t) => pct(t.othersCpu)).join(', ')} |`);
  }
  lines.push('');
  lines.push('| throughput ratio | off | pass | hit |', '| --- | ---: | ---: | ---: |');
  const row = (label: string, a: string, b: string): string => `| ${label} | ${(['off', 'pass', 'hit'] as const).map((m) => ratio(rps(`${a}.${m}`), rps(`${b}.${m}`))).join(' | ')} |`;
  lines.push(row('apiwarden / nginx', 'apiwarden', 'nginx'), row('apiwarden / HAProxy', 'apiwarden', 'haproxy'));
  if (ok('apiwarden-redis.pass').length || ok('apiwarden-redis.hit').length) lines.push(row('apiwarden Redis / nginx', 'apiwarden-redis', 'nginx'));
  lines.push('');
  const vsOff = (proxy: string): string => `${proxy}: pass ${ratio(rps(`${proxy}.pass`), rps(`${proxy.replace('-redis', '')}.off`))}, hit ${ratio(rps(`${proxy}.hit`), rps(`${proxy.replace('-redis', '')}.off`))}`;
  lines.push(`With limits vs without (same proxy): ${['nginx', 'haproxy', 'apiwarden', 'apiwarden-redis'].filter((p) => ok(`${p}.pass`).length).map(vsOff).join('; ')}.`);
  const perRequest = all.filter((t) => t.redisCommands && t.wrk).map((t) => {
    const n = t.wrk!.requests;
    const calls = t.redisCommands!;
    const scripts = (calls.evalsha ?? 0) + (calls.eval ?? 0);
    const total = Object.values(calls).reduce((a, b) => a + b, 0);
    return `${t.target.id}: ${(scripts / n).toFixed(3)} script calls (round trips) and ${(total / n).toFixed(2)} Redis commands per request`;
  });
  if (perRequest.length) lines.push('', `Redis during the measurement (INFO commandstats deltas over wrk's requests; the ban list refresh, once a second, included; the server is shared, so others' commands would count too): ${perRequest.join('; ')}.`);
  const pre = all.filter((t) => t.target.mode === 'hit' && t.preflight).map((t) => `${t.target.id} ${JSON.stringify(t.preflight)}`);
  if (pre.length) lines.push('', `Preflight of the "hit" targets (${fmtInt(Number(s.hitLimit) * 4)} requests one after the other, status → count): ${pre.join('; ')}.`);
  if (r.redisKeysLeft !== null) lines.push('', `Redis keys left under the run's prefix after clean-up: ${r.redisKeysLeft}.`);
  lines.push('');
  return lines.join('\n');
}

// Ctrl-C or a kill: the proxies run in their own process groups, so stop them here
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`bench: ${signal}, stopping the processes started\n`);
    void stopAll().then(() => process.exit(130));
  });
}

try {
  await main();
} catch (error) {
  process.stderr.write(`bench: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exitCode = 1;
} finally {
  await stopAll();
}
