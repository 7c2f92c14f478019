/**
 * Limiter decisions per second with Redis across a network: the Redis
 * cases of decisions.ts (same rules, keys, clients and 64 decisions in
 * flight on one connection), each client talking to Redis through
 * delay-proxy.ts, which holds every chunk `--delay` ms in each direction.
 *
 * On loopback a round trip costs next to nothing, so decisions.ts compares
 * the limiters by Redis time and client CPU. In production Redis sits
 * across a network (0.2 ms within a zone, 1-2 ms across zones), and there
 * round trips per decision decide: apiwarden makes one per request
 * whatever its windows, RLF one per window (three limiters consumed in
 * sequence: three, one after the other). This run shows that figure. The
 * delay proxy's timers have whole-ms resolution, so the smallest delay is
 * 1 ms each way; the round trip actually measured (PING through the proxy)
 * is reported with the results.
 *
 *   node bench/limiter/redis-rtt.ts                 # delay 1 ms each way, ~3 min
 *   node bench/limiter/redis-rtt.ts --delay 2 --duration 5 --concurrency 8
 *
 * Results go to bench/limiter/results/<time>-redis-rtt.json and .md.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { machine, ROOT } from '../proxy/lib.ts';
import { assertLoopbackRedis, deleteKeys, fmtInt, LIMITER_DIR, RESULTS_DIR, stamp } from './common.ts';

const { values } = parseArgs({
  options: {
    delay: { type: 'string', default: '1' },
    duration: { type: 'string', default: '4' },
    warmup: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '64' },
    redis: { type: 'string', default: 'redis://127.0.0.1:6379' },
  },
});

interface CaseResult {
  case: { id: string; rule: string; regime: string; impl: string };
  rate: number;
  roundTripsPerDecision?: number;
  admittedShare: number;
}

const RULES = ['one', 'three'] as const;
const REGIMES = ['under', 'over'] as const;
const LABELS: Record<string, string> = {
  apiwarden: 'apiwarden with local allowances leased from Redis (the default)',
  'apiwarden-exact': 'apiwarden, every decision in Redis (`localAllowance: 0`)',
  rlf: 'RLF (three windows: union)',
  'rlf-seq': 'RLF, three in sequence',
  'rlf-block': 'RLF with in-memory block',
};

function implsOf(rule: string): string[] {
  return rule === 'one' ? ['apiwarden', 'apiwarden-exact', 'rlf', 'rlf-block'] : ['apiwarden', 'apiwarden-exact', 'rlf', 'rlf-seq', 'rlf-block'];
}

/** the delay proxy in its own process; resolves with its port */
function startProxy(targetPort: number, delayMs: number): Promise<{ port: number; stop: () => void }> {
  const child = spawn(process.execPath, [join(LIMITER_DIR, 'delay-proxy.ts'), String(targetPort), String(delayMs)], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the delay proxy did not start within 10 s')), 10_000);
    child.stdout.on('data', (data: Buffer) => {
      const m = /READY (\d+)/.exec(data.toString());
      if (m === null) return;
      clearTimeout(timer);
      resolve({ port: Number(m[1]), stop: () => child.kill('SIGTERM') });
    });
    child.on('exit', (code) => reject(new Error(`the delay proxy exited (${code})`)));
  });
}

/** median round trip of PING through the proxy, in ms */
async function measureRtt(url: string): Promise<number> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    const times: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t0 = performance.now();
      await client.ping();
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)]!;
  } finally {
    client.disconnect();
  }
}

function runCase(id: string, url: string, prefix: string): CaseResult {
  const args = [join(LIMITER_DIR, 'decisions.ts'), '--case', id, '--redis', url, '--prefix', prefix, '--duration', values.duration, '--warmup', values.warmup, '--concurrency', values.concurrency];
  const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', timeout: 120_000, killSignal: 'SIGKILL' });
  const line = r.stdout.split('\n').find((l) => l.startsWith('DECISIONS_RESULT '));
  if (line === undefined) throw new Error(`${id}: no result (${r.stderr.trim().split('\n').slice(-3).join(' / ')})`);
  return JSON.parse(line.slice('DECISIONS_RESULT '.length)) as CaseResult;
}

async function main(): Promise<void> {
  assertLoopbackRedis(values.redis);
  const delayMs = Number(values.delay);
  const target = new URL(values.redis);
  const proxy = await startProxy(Number(target.port || 6379), delayMs);
  const url = `redis://127.0.0.1:${proxy.port}`;
  const prefix = `awbench-${randomBytes(4).toString('hex')}:`;
  const admin = new Redis(values.redis, { maxRetriesPerRequest: 1 });
  const startedAt = new Date().toISOString();
  const results: CaseResult[] = [];
  let rttMs: number | undefined;
  try {
    rttMs = await measureRtt(url);
    process.stderr.write(`bench: Redis through a ${delayMs} ms delay each way: PING round trip ${rttMs.toFixed(2)} ms\n`);
    for (const rule of RULES) {
      for (const regime of REGIMES) {
        for (const impl of implsOf(rule)) {
          const id = `redis.${rule}.${regime}.${impl}`;
          process.stderr.write(`bench: ${id}\n`);
          const r = runCase(id, url, prefix);
          process.stderr.write(`  ${fmtInt(r.rate)} decisions/s, ${(r.roundTripsPerDecision ?? 0).toFixed(2)} round trips a decision\n`);
          results.push(r);
        }
      }
    }
  } finally {
    proxy.stop();
    await deleteKeys(admin, prefix);
    admin.disconnect();
  }

  const out: string[] = [];
  out.push(`## Limiter decisions with Redis across a network, ${startedAt}`, '');
  const m = machine();
  out.push(`Machine: ${m.cpus} cores, ${m.model}, Linux ${m.kernel}. Redis through bench/limiter/delay-proxy.ts, ${delayMs} ms each way (PING round trip ${(rttMs ?? Number.NaN).toFixed(2)} ms); ${values.concurrency} decisions in flight on one connection; ${values.warmup} s warm-up, ${values.duration} s measured, one run.`, '');
  out.push('| rule | regime | limiter | decisions/s | round trips a decision | vs best RLF |', '| --- | --- | --- | ---: | ---: | ---: |');
  for (const rule of RULES) {
    for (const regime of REGIMES) {
      const rows = results.filter((r) => r.case.rule === rule && r.case.regime === regime);
      const bestRlf = Math.max(...rows.filter((r) => r.case.impl.startsWith('rlf')).map((r) => r.rate));
      for (const r of rows) {
        const vs = r.case.impl.startsWith('apiwarden') ? (r.rate / bestRlf).toFixed(2) : '';
        out.push(`| ${rule === 'one' ? '100 per 1 s' : '10/s, 600/min, 20000/day'} | ${regime} | ${LABELS[r.case.impl]} | ${fmtInt(r.rate)} | ${(r.roundTripsPerDecision ?? 0).toFixed(2)} | ${vs} |`);
      }
    }
  }
  const markdown = `${out.join('\n')}\n`;
  process.stdout.write(markdown);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const base = join(RESULTS_DIR, `${stamp(startedAt)}-redis-rtt`);
  writeFileSync(`${base}.json`, `${JSON.stringify({ startedAt, delayMs, rttMs, concurrency: Number(values.concurrency), machine: m, results }, null, 2)}\n`);
  writeFileSync(`${base}.md`, markdown);
  process.stderr.write(`bench: results in ${base}.json and .md\n`);
}

await main();
