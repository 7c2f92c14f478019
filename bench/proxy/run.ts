/**
 * The proxy benchmark, in one run: the upstream alone, nginx, HAProxy, a
 * Node peer (fastify + @fastify/http-proxy) and apiwarden, one after the
 * other, each with the same wrk settings (closed loop, throughput and
 * latency at saturation); then each again for the open-loop latency at a
 * fixed rate (default 1,000 req/s: well below the Node proxies' saturation
 * on the 2-core machine of the README; a warning says when it is not).
 * Results go to bench/proxy/results/<time>-<layout>.json and .md, and the
 * markdown table is printed. See bench/README.md.
 *
 *   bench/proxy/run.sh                       # shared layout, 1 pass
 *   bench/proxy/run.sh --runs 2              # two passes, to judge noise
 *   bench/proxy/run.sh --layout split        # proxy on CPU 1, load + upstream on CPU 0
 *   bench/proxy/run.sh --report results/X.json   # print the tables of a past run
 */

import { availableParallelism } from 'node:os';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  APIWARDEN_ENTRY, BENCH_DIR, HOST, PORTS, ROOT, isPortOpen, machine, makeTempDir, nginxArgs, pinned, preflight, runOpenLoop, runTool, runWrk,
  sleep, startProcess, stopAll, stopProcess, versions, waitForLog, waitForPort, waitForQuiet, watchForeignCpu, writeApiwardenPolicy, writeHaproxyCfg,
  writeProxyNginxConf, writeUpstreamNginxConf, type OpenLoopResult, type Proc, type WrkResult,
} from './lib.ts';

const { values } = parseArgs({
  options: {
    layout: { type: 'string', default: 'shared' },
    runs: { type: 'string', default: '1' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '64' },
    threads: { type: 'string' },
    rate: { type: 'string', default: '1000' },
    'ol-duration': { type: 'string', default: '15' },
    'ol-warmup': { type: 'string', default: '3' },
    'ol-connections': { type: 'string', default: '16' },
    only: { type: 'string' },
    'no-openloop': { type: 'boolean', default: false },
    'keep-temp': { type: 'boolean', default: false },
    report: { type: 'string' },
  },
});

type TargetId = 'upstream' | 'nginx' | 'haproxy' | 'fastify' | 'apiwarden' | 'apiwarden-nolog';

const LABELS: Record<TargetId, string> = {
  upstream: 'upstream alone (direct)',
  nginx: 'nginx proxy_pass',
  haproxy: 'HAProxy',
  fastify: 'fastify + @fastify/http-proxy',
  apiwarden: 'apiwarden (events: SQLite + access log file)',
  'apiwarden-nolog': 'apiwarden (events: SQLite, access log off)',
};

interface TargetResult {
  wrk?: WrkResult;
  openLoop?: OpenLoopResult;
  /** share of the machine's CPU used by other people's processes: before starting, during wrk, during the open loop */
  othersCpu?: { before: number; wrk?: number; openLoop?: number };
  /** apiwarden: lines written to the access log, rows in the inventory */
  events?: { accessLogLines: number | null; inventoryRequests: number | null };
  error?: string;
}

interface Results {
  startedAt: string;
  layout: Layout;
  machine: ReturnType<typeof machine>;
  versions: Record<string, string>;
  settings: Record<string, number | string>;
  note: string;
  runs: Array<Partial<Record<TargetId, TargetResult>>>;
}

interface Layout {
  name: 'shared' | 'split';
  /** workers of each proxy (processes, or HAProxy threads) */
  workers: number;
  /** workers of the upstream nginx */
  upstreamWorkers: number;
  loadCpus: string;
  upstreamCpus: string;
  proxyCpus: string;
  wrkThreads: number;
}

function layoutOf(name: string): Layout {
  const cores = availableParallelism();
  if (name === 'shared') {
    // what a user does: every proxy uses every core; the load generator and the upstream share them
    return { name, workers: cores, upstreamWorkers: cores, loadCpus: '', upstreamCpus: '', proxyCpus: '', wrkThreads: Math.min(2, cores) };
  }
  if (name === 'split') {
    // one core for the proxy alone (one worker), the other for wrk and the upstream
    if (cores < 2) throw new Error('the split layout needs 2 cores');
    return { name, workers: 1, upstreamWorkers: 1, loadCpus: '0', upstreamCpus: '0', proxyCpus: '1', wrkThreads: 1 };
  }
  throw new Error(`--layout must be shared or split, got ${name}`);
}

/** others' share of the CPU above which a measurement is taken again */
const BUSY_SHARE = 0.15;
const MAX_ATTEMPTS = 3;

const ALL: TargetId[] = ['upstream', 'nginx', 'haproxy', 'fastify', 'apiwarden', 'apiwarden-nolog'];

async function main(): Promise<void> {
  if (values.report) {
    process.stdout.write(renderMarkdown(JSON.parse(readFileSync(values.report, 'utf8')) as Results));
    return;
  }
  const layout = layoutOf(values.layout);
  const targets = values.only ? (values.only.split(',') as TargetId[]) : ALL;
  for (const t of targets) if (!ALL.includes(t)) throw new Error(`--only: unknown target ${t}; one of ${ALL.join(', ')}`);
  const settings = {
    wrkThreads: Number(values.threads ?? layout.wrkThreads),
    connections: Number(values.connections),
    durationS: Number(values.duration),
    warmupS: Number(values.warmup),
    rate: Number(values.rate),
    openLoopDurationS: Number(values['ol-duration']),
    openLoopWarmupS: Number(values['ol-warmup']),
    openLoopConnections: Number(values['ol-connections']),
  };
  const dir = makeTempDir();
  process.stderr.write(`bench: temp dir ${dir}, layout ${layout.name}, ${layout.workers} worker(s) per proxy\n`);

  const apiwardenPolicy = writeApiwardenPolicy(dir, { workers: layout.workers, accessLog: 'file', name: 'apiwarden' });
  const ports: Record<TargetId, number> = {
    upstream: PORTS.upstream,
    nginx: PORTS.nginx,
    haproxy: PORTS.haproxy,
    fastify: PORTS.fastify,
    apiwarden: apiwardenPolicy.port,
    'apiwarden-nolog': apiwardenPolicy.port,
  };
  if (apiwardenPolicy.upstreamUrl !== `http://${HOST}:${PORTS.upstream}`) {
    throw new Error(`apiwarden.yaml's upstream must be http://${HOST}:${PORTS.upstream}, not ${apiwardenPolicy.upstreamUrl}`);
  }
  for (const port of new Set(Object.values(ports))) {
    if (await isPortOpen(port)) throw new Error(`port ${port} is already in use on ${HOST}; stop what listens there first`);
  }

  const results: Results = {
    startedAt: new Date().toISOString(),
    layout,
    machine: machine(),
    versions: versions(),
    settings,
    note: process.env.BENCH_NOTE ?? '',
    runs: [],
  };

  const upstream = startProcess('upstream-nginx', dir, ...pinned(layout.upstreamCpus, 'nginx', nginxArgs(dir, writeUpstreamNginxConf(dir, layout.upstreamWorkers), 'upstream-nginx')));
  await waitForPort(PORTS.upstream, upstream);

  for (let run = 0; run < Number(values.runs); run++) {
    const runResults: Partial<Record<TargetId, TargetResult>> = {};
    results.runs.push(runResults);
    // phase 1: closed loop (wrk), every target; phase 2: open loop at a fixed rate, every target
    for (const phase of ['wrk', 'openLoop'] as const) {
      if (phase === 'openLoop' && values['no-openloop']) continue;
      for (const id of targets) {
        process.stderr.write(`bench: run ${run + 1}, ${phase === 'wrk' ? 'closed loop' : `open loop at ${settings.rate}/s`}, ${LABELS[id]}\n`);
        const result: TargetResult = (runResults[id] ??= {});
        if (phase === 'openLoop' && result.error) continue;
        let proc: Proc | null = null;
        try {
          // other engineers' tests share this machine: start each measurement in a quiet second if one comes within a minute
          const before = await waitForQuiet(0.1, 60_000);
          result.othersCpu ??= { before };
          proc = await startTarget(id, dir, layout, run, phase);
          await preflight(ports[id]);
          const url = `http://${HOST}:${ports[id]}`;
          if (phase === 'wrk') {
            await runWrk(url, { threads: settings.wrkThreads, connections: settings.connections, durationS: settings.warmupS, cpus: layout.loadCpus });
          }
          // a measurement during which other people's processes took more than
          // BUSY_SHARE of the machine is taken again after a quiet second (at most
          // MAX_ATTEMPTS times); the one with the least foreign load is kept
          for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            if (attempt > 1) {
              process.stderr.write(`  others were busy; measuring again (attempt ${attempt})\n`);
              await waitForQuiet(0.1, 60_000);
            }
            const others = watchForeignCpu();
            if (phase === 'wrk') {
              const wrk = await runWrk(url, { threads: settings.wrkThreads, connections: settings.connections, durationS: settings.durationS, cpus: layout.loadCpus });
              const share = others();
              if (result.wrk === undefined || share < (result.othersCpu.wrk ?? 1)) {
                result.wrk = wrk;
                result.othersCpu.wrk = share;
              }
              process.stderr.write(`  ${wrk.rps} req/s, p50 ${ms(wrk.latencyUs.p50)} ms, p99 ${ms(wrk.latencyUs.p99)} ms; others used ${pct(share)} of the CPU\n`);
            } else {
              const ol = await runOpenLoop(url, {
                rate: settings.rate,
                durationS: settings.openLoopDurationS,
                warmupS: settings.openLoopWarmupS,
                connections: settings.openLoopConnections,
                cpus: layout.loadCpus,
              });
              const share = others();
              if (result.openLoop === undefined || share < (result.othersCpu.openLoop ?? 1)) {
                result.openLoop = ol;
                result.othersCpu.openLoop = share;
              }
              const s = ol.latencyUs.service;
              const load = result.wrk ? settings.rate / result.wrk.rps : 0;
              process.stderr.write(`  p50 ${ms(s.p50)} ms, p99 ${ms(s.p99)} ms (${Math.round(load * 100)}% of its closed-loop throughput); others used ${pct(share)} of the CPU\n`);
              if (load > 0.5) process.stderr.write(`  warning: ${settings.rate}/s is not well below this target's saturation; lower --rate\n`);
            }
            const kept = phase === 'wrk' ? result.othersCpu.wrk : result.othersCpu.openLoop;
            if ((kept ?? 1) <= BUSY_SHARE) break;
          }
        } catch (error) {
          result.error = `${phase}: ${error instanceof Error ? error.message : String(error)}`;
          process.stderr.write(`  failed: ${result.error}\n`);
        } finally {
          if (proc) await stopProcess(proc, 15_000);
        }
        if (phase === 'wrk' && (id === 'apiwarden' || id === 'apiwarden-nolog')) result.events = await countEvents(dir, `${id}-${run}-wrk`);
        await sleep(1000);
      }
    }
  }
  await stopAll();

  const stamp = results.startedAt.replace(/[:.]/g, '-');
  const resultsDir = join(BENCH_DIR, 'results');
  mkdirSync(resultsDir, { recursive: true });
  const base = join(resultsDir, `${stamp}-${layout.name}`);
  writeFileSync(`${base}.json`, JSON.stringify(results, null, 2) + '\n');
  const md = renderMarkdown(results);
  writeFileSync(`${base}.md`, md);
  process.stdout.write(md);
  if (values['keep-temp'] || results.runs.some((run) => Object.values(run).some((t) => t?.error))) {
    process.stderr.write(`bench: results in ${base}.json and .md; logs and configs kept in ${dir}\n`);
  } else {
    // the access logs of a run are tens of MB; --keep-temp keeps them with the configs and process logs
    rmSync(dir, { recursive: true, force: true });
    process.stderr.write(`bench: results in ${base}.json and .md (temp dir removed; --keep-temp keeps it)\n`);
  }
}

async function startTarget(id: TargetId, dir: string, layout: Layout, run: number, phase: string): Promise<Proc | null> {
  const cpus = layout.proxyCpus;
  switch (id) {
    case 'upstream':
      return null;
    case 'nginx': {
      const p = startProcess('proxy-nginx', dir, ...pinned(cpus, 'nginx', nginxArgs(dir, writeProxyNginxConf(dir, layout.workers), 'proxy-nginx')));
      await waitForPort(PORTS.nginx, p);
      return p;
    }
    case 'haproxy': {
      const p = startProcess('haproxy', dir, ...pinned(cpus, 'haproxy', ['-db', '-f', writeHaproxyCfg(dir, layout.workers)]));
      await waitForPort(PORTS.haproxy, p);
      return p;
    }
    case 'fastify': {
      const p = startProcess('fastify-peer', dir, ...pinned(cpus, process.execPath, [
        join(BENCH_DIR, 'fastify-peer.ts'),
        '--port', String(PORTS.fastify),
        '--upstream', `http://${HOST}:${PORTS.upstream}`,
        '--workers', String(layout.workers),
      ]));
      await waitForPort(PORTS.fastify, p);
      // every worker binds on its own (SO_REUSEPORT); give the last ones time to join
      await sleep(1500);
      return p;
    }
    case 'apiwarden':
    case 'apiwarden-nolog': {
      const name = `${id}-${run}-${phase}`;
      const policy = writeApiwardenPolicy(dir, { workers: layout.workers, accessLog: id === 'apiwarden' ? 'file' : 'off', name });
      const p = startProcess(name, dir, ...pinned(cpus, process.execPath, [APIWARDEN_ENTRY, 'gateway', '-c', policy.file, '--no-watch']));
      await waitForPort(policy.port, p, 60_000);
      // one "gateway listening" line per worker (pino JSON on stderr)
      if (!(await waitForLog(p.logFile, /gateway listening/, layout.workers, 30_000))) {
        process.stderr.write(`  warning: fewer than ${layout.workers} "gateway listening" lines in ${p.logFile}\n`);
      }
      return p;
    }
  }
}

/** What apiwarden recorded: lines of its access log, requests counted in its inventory. */
async function countEvents(dir: string, name: string): Promise<TargetResult['events']> {
  let accessLogLines: number | null = null;
  try {
    const file = join(dir, `${name}-access.log`);
    if (statSync(file).size > 0) accessLogLines = readFileSync(file, 'latin1').split('\n').length - 1;
  } catch {
    // log off, or none written
  }
  let inventoryRequests: number | null = null;
  try {
    const out = await runTool(process.execPath, [join(ROOT, 'src/cli/main.ts'), 'inventory', '--db', join(dir, `${name}.db`), '--json'], 60_000);
    inventoryRequests = sumCounts(JSON.parse(out));
  } catch (error) {
    process.stderr.write(`  inventory not read: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]}\n`);
  }
  return { accessLogLines, inventoryRequests };
}

/** The sum of the request counts of an inventory listing, whatever its exact shape. */
function sumCounts(value: unknown): number | null {
  const rows = Array.isArray(value) ? value : (value as { endpoints?: unknown[] })?.endpoints;
  if (!Array.isArray(rows)) return null;
  let total = 0;
  for (const row of rows) {
    const r = row as Record<string, unknown>;
    const n = r.count ?? r.requests ?? r.total;
    if (typeof n === 'number') total += n;
  }
  return total;
}

// ---------------------------------------------------------------- report

const ms = (us: number): string => (us / 1000).toFixed(2);
const pct = (share: number | undefined): string => (share === undefined ? 'n/a' : `${Math.round(share * 100)}%`);
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const ratio = (a: number, b: number): string => (b > 0 ? `${(a / b).toFixed(2)}` : 'n/a');

export function renderMarkdown(r: Results): string {
  const ids = ALL.filter((id) => r.runs.some((run) => run[id]));
  const wrkOf = (id: TargetId): WrkResult[] => r.runs.map((run) => run[id]?.wrk).filter((w): w is WrkResult => w !== undefined);
  const olOf = (id: TargetId): OpenLoopResult[] => r.runs.map((run) => run[id]?.openLoop).filter((o): o is OpenLoopResult => o !== undefined);
  const rps = (id: TargetId): number => (wrkOf(id).length ? mean(wrkOf(id).map((w) => w.rps)) : 0);
  const s = r.settings;
  const lines: string[] = [];
  lines.push(`## Proxy benchmark, ${r.startedAt} (layout: ${r.layout.name})`, '');
  lines.push(`Machine: ${r.machine.cpus} cores, ${r.machine.model}, Linux ${r.machine.kernel}; Node ${r.versions.node}, ${r.versions.nginx}, ${r.versions.haproxy}.`);
  lines.push(`Closed loop: \`wrk -t${s.wrkThreads} -c${s.connections} -d${s.durationS}s\` after a ${s.warmupS} s warm-up, mix.lua; ${r.layout.workers} worker(s) per proxy; ${r.runs.length} run(s), mean shown, each run in brackets.`);
  if (r.layout.name === 'split') lines.push('Cores: wrk and the upstream pinned to CPU 0, the proxy to CPU 1 (taskset).');
  else lines.push('Cores: nothing pinned; load generator, proxy and upstream share both cores.');
  if (r.note) lines.push(`Note: ${r.note}`);
  lines.push('');
  lines.push('| target | req/s | p50 ms | p99 ms | vs upstream alone | errors / non-2xx | others\' CPU |');
  lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  const up = rps('upstream');
  for (const id of ids) {
    const w = wrkOf(id);
    if (w.length === 0) {
      const error = r.runs.map((run) => run[id]?.error).find(Boolean) ?? 'no result';
      lines.push(`| ${LABELS[id]} | failed: ${error.split('\n')[0]} | | | | | |`);
      continue;
    }
    const each = w.length > 1 ? ` (${w.map((x) => x.rps).join(', ')})` : '';
    const p50 = mean(w.map((x) => x.latencyUs.p50));
    const p99 = mean(w.map((x) => x.latencyUs.p99));
    const errs = w.map((x) => x.errors.connect + x.errors.read + x.errors.write + x.errors.timeout + x.errors.status).reduce((a, b) => a + b, 0);
    const others = r.runs.map((run) => pct(run[id]?.othersCpu?.wrk)).join(', ');
    lines.push(`| ${LABELS[id]} | ${Math.round(rps(id))}${each} | ${ms(p50)} | ${ms(p99)} | ${ratio(rps(id), up)} | ${errs} | ${others} |`);
  }
  lines.push('', '"others\' CPU": share of the machine used by processes outside the benchmark during the measurement (other engineers\' tests); a run with a high share is worth less.', '');
  for (const a of ['apiwarden', 'apiwarden-nolog'] as const) {
    if (!wrkOf(a).length) continue;
    lines.push(`Throughput ratios, ${LABELS[a]}: ` + (['nginx', 'haproxy', 'fastify'] as const)
      .filter((p) => wrkOf(p).length)
      .map((p) => `/${p} ${ratio(rps(a), rps(p))}`)
      .join(', ') + '.');
  }
  for (const a of ['apiwarden', 'apiwarden-nolog'] as const) {
    const ev = r.runs.map((run) => run[a]?.events).filter(Boolean);
    if (ev.length) lines.push(`Events recorded by ${a}: ` + ev.map((e) => `access log ${e!.accessLogLines ?? 'off'}, inventory ${e!.inventoryRequests ?? 'n/a'}`).join('; ') + '.');
  }

  const olIds = ids.filter((id) => olOf(id).length);
  if (olIds.length) {
    const direct = olOf('upstream');
    const d = (pick: (o: OpenLoopResult) => number): number => (direct.length ? mean(direct.map(pick)) : Number.NaN);
    lines.push('', `Open loop at ${s.rate} req/s, ${s.openLoopConnections} keep-alive connections, ${s.openLoopDurationS} s after ${s.openLoopWarmupS} s warm-up (bench/proxy/openloop.ts). Latency from write to last byte; "added" = target minus the upstream alone; last column from the scheduled send time (coordinated-omission corrected).`, '');
    lines.push('| target | rate / its max | p50 ms | p99 ms | p99.9 ms | added p50 ms | added p99 ms | p99 from schedule ms | non-2xx / errors / queued | others\' CPU |');
    lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const id of olIds) {
      const o = olOf(id);
      const p50 = mean(o.map((x) => x.latencyUs.service.p50));
      const p99 = mean(o.map((x) => x.latencyUs.service.p99));
      const p999 = mean(o.map((x) => x.latencyUs.service.p999));
      const sched = mean(o.map((x) => x.latencyUs.fromSchedule.p99));
      const non2xx = o.reduce((n, x) => n + Object.entries(x.statuses).filter(([k]) => !k.startsWith('2')).reduce((m, [, v]) => m + v, 0), 0);
      const errors = o.reduce((n, x) => n + x.socketErrors + x.unfinished, 0);
      const queued = o.reduce((n, x) => n + x.queued, 0);
      const each = (pick: (x: OpenLoopResult) => number): string => (o.length > 1 ? ` (${o.map((x) => ms(pick(x))).join(', ')})` : '');
      const added = (v: number, pick: (x: OpenLoopResult) => number): string => (id === 'upstream' ? '–' : ms(v - d(pick)));
      const load = rps(id) > 0 ? pct(Number(s.rate) / rps(id)) : 'n/a';
      lines.push(`| ${LABELS[id]} | ${load} | ${ms(p50)}${each((x) => x.latencyUs.service.p50)} | ${ms(p99)}${each((x) => x.latencyUs.service.p99)} | ${ms(p999)} | ${added(p50, (x) => x.latencyUs.service.p50)} | ${added(p99, (x) => x.latencyUs.service.p99)} | ${ms(sched)} | ${non2xx} / ${errors} / ${queued} | ${r.runs.map((run) => pct(run[id]?.othersCpu?.openLoop)).join(', ')} |`);
    }
  }
  lines.push('');
  return lines.join('\n');
}

// Ctrl-C or a kill: the peers run in their own process groups, so stop them here
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
