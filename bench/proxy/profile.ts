/**
 * Where apiwarden spends its CPU: one worker under `node --cpu-prof`,
 * saturated by wrk (the same mix as run.ts), then the top self-time
 * functions of the measured window. Pinned: apiwarden alone on CPU 1, wrk
 * and the upstream nginx on CPU 0, so the profile is of a proxy that has a
 * core to itself.
 *
 *   bench/proxy/profile.sh [--duration 10] [--connections 64] [--access-log file|off] [--top 15]
 *
 * The .cpuprofile and the summary are kept in bench/proxy/results/.
 */

import { copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { callers, formatSummary, summarise } from './cpuprofile-top.ts';
import {
  APIWARDEN_ENTRY, BENCH_DIR, HOST, PORTS, isPortOpen, makeTempDir, nginxArgs, pinned, preflight, runWrk, startProcess, stopAll,
  stopProcess, waitForLog, waitForPort, watchForeignCpu, writeApiwardenPolicy, writeUpstreamNginxConf,
} from './lib.ts';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '64' },
    'access-log': { type: 'string', default: 'file' },
    top: { type: 'string', default: '15' },
    'keep-temp': { type: 'boolean', default: false },
  },
});

async function main(): Promise<void> {
  const split = availableParallelism() >= 2;
  const loadCpus = split ? '0' : '';
  const proxyCpus = split ? '1' : '';
  const durationS = Number(values.duration);
  const warmupS = Number(values.warmup);
  const accessLog = values['access-log'] === 'off' ? 'off' : 'file';
  const dir = makeTempDir();
  const profDir = join(dir, 'cpuprofile');
  mkdirSync(profDir);
  const policy = writeApiwardenPolicy(dir, { workers: 1, accessLog, name: 'apiwarden-profile' });
  for (const port of [PORTS.upstream, policy.port]) {
    if (await isPortOpen(port)) throw new Error(`port ${port} is already in use on ${HOST}`);
  }
  process.stderr.write(`profile: temp dir ${dir}; apiwarden (1 worker, access log ${accessLog}) on CPU ${proxyCpus || 'any'}, wrk and upstream on CPU ${loadCpus || 'any'}\n`);

  const upstream = startProcess('upstream-nginx', dir, ...pinned(loadCpus, 'nginx', nginxArgs(dir, writeUpstreamNginxConf(dir, 1), 'upstream-nginx')));
  await waitForPort(PORTS.upstream, upstream);

  const startedAt = Date.now();
  const gw = startProcess('apiwarden', dir, ...pinned(proxyCpus, process.execPath, [
    '--cpu-prof',
    '--cpu-prof-dir', profDir,
    APIWARDEN_ENTRY, 'gateway', '-c', policy.file, '--no-watch',
  ]));
  await waitForPort(policy.port, gw, 60_000);
  await waitForLog(gw.logFile, /gateway listening/, 1, 30_000);
  await preflight(policy.port);
  const url = `http://${HOST}:${policy.port}`;
  await runWrk(url, { threads: 1, connections: Number(values.connections), durationS: warmupS, cpus: loadCpus });
  const fromMs = Date.now() - startedAt;
  const others = watchForeignCpu();
  const wrk = await runWrk(url, { threads: 1, connections: Number(values.connections), durationS, cpus: loadCpus });
  const othersShare = others();
  const toMs = Date.now() - startedAt;
  await stopProcess(gw, 20_000);
  await stopProcess(upstream);

  const files = readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(profDir, f));
  if (files.length === 0) throw new Error(`no .cpuprofile written in ${profDir}; see ${gw.logFile}`);
  // the profile's clock starts a little after the process: keep a margin at both ends of the window
  const summary = summarise(files, { fromMs: fromMs + 250, toMs: toMs - 250 });
  const dom = callers(files, 'DOMException', 5).slice(0, 3);
  const header = `apiwarden, 1 worker, access log ${accessLog}, under --cpu-prof: ${wrk.rps} req/s, p50 ${(wrk.latencyUs.p50 / 1000).toFixed(2)} ms, p99 ${(wrk.latencyUs.p99 / 1000).toFixed(2)} ms (wrk -t1 -c${values.connections} -d${durationS}s; others used ${Math.round(othersShare * 100)}% of the CPU)\n`;
  let text = header + '\n' + formatSummary(summary, Number(values.top));
  if (dom.length) {
    text += '\nwho creates the DOMExceptions (self ms < callers):\n\n' + dom.map((d) => `- ${d.selfMs.toFixed(0)} ms: ${d.chain}`).join('\n') + '\n';
  }

  const resultsDir = join(BENCH_DIR, 'results');
  mkdirSync(resultsDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  copyFileSync(files[0]!, join(resultsDir, `${stamp}-apiwarden.cpuprofile`));
  writeFileSync(join(resultsDir, `${stamp}-profile.md`), text);
  writeFileSync(join(resultsDir, `${stamp}-profile.json`), JSON.stringify({ wrk, othersShare, window: { fromMs, toMs }, summary: { ...summary, functions: summary.functions.slice(0, 50), inclusive: summary.inclusive.slice(0, 50) } }, null, 2) + '\n');
  process.stdout.write(text);
  process.stderr.write(`profile: ${join(resultsDir, `${stamp}-apiwarden.cpuprofile`)} (open in Chrome DevTools > Performance), summary in ${stamp}-profile.md\n`);
  if (!values['keep-temp']) rmSync(dir, { recursive: true, force: true });
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void stopAll().then(() => process.exit(130)));
}

try {
  await main();
} catch (error) {
  process.stderr.write(`profile: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exitCode = 1;
} finally {
  await stopAll();
}
