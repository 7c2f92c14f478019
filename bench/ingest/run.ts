/**
 * The ingest benchmark (see README-section.md): a generated nginx combined
 * log of 1M and 4M lines, read on one pinned core by
 *
 *   split     apiwarden's line splitter + per-line decoding, no parsing (the floor)
 *   parse     readLog(file).batches(): detection, splitting, parsing, stats
 *   consume   for await (const r of readLog(file)) + a trivial consumer
 *   parse-semi8  parse with `node --max-semi-space-size=8`: V8 grows its young
 *             generation up to 64 MB under this allocation rate (the live data,
 *             the old generation, stays at ~5 MB); capping it keeps RSS flat
 *   discover  the whole `apiwarden discover FILE` pipeline minus the report:
 *             readLog, inventory.observe() per record (templater, counters),
 *             inventory.endpoints() at the end
 *   goaccess  GoAccess 1.7, `--log-format=COMBINED -o report.json`
 *
 * each under `/usr/bin/time -v` (CPU time, wall time, peak RSS), plus a
 * `baseline` Node process that only loads the reader (the fixed RSS of a
 * Node process running TypeScript). The headline rate is lines per CPU
 * second of a process pinned to one core: on this shared 2-vCPU machine wall
 * time depends on what others run, CPU time much less. Others' use of the
 * pinned core during each measurement is measured from /proc/stat and
 * reported.
 *
 *   node bench/ingest/run.ts [--lines 1000000,4000000] [--runs 2] [--cpu 1] [--seed 42]
 *                            [--goaccess-lines 1000000] [--goaccess-runs 1] [--no-goaccess]
 *                            [--gzip] [--dir /tmp/apiwarden-bench-ingest] [--keep]
 *                            [--targets split,parse,consume,parse-semi8,discover]
 *                            [--report results/<file>.json]
 *
 * About 3 minutes with the defaults. GoAccess runs on the first size only
 * unless --goaccess-lines says otherwise: it slows down as its tables grow
 * (20 CPU-s for 1M lines, 160 CPU-s for 4M here), and 4M adds ~5 minutes on
 * a busy machine. --gzip also reads a gzip copy of the first size.
 *
 * Generated logs go to --dir (never into the repository) and are deleted at
 * the end unless --keep; results go to bench/ingest/results/ (gitignored).
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { generateLog } from './generate.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const RESULTS = join(HERE, 'results');
const NODE = process.execPath;

interface Options {
  lines: number[];
  /** sizes GoAccess also reads (default: the first of --lines) */
  goaccessLines: number[] | null;
  runs: number;
  goaccessRuns: number;
  cpu: number;
  seed: number;
  dir: string;
  isGoaccess: boolean;
  isGzip: boolean;
  isKept: boolean;
  report: string | null;
  /** the Node targets run per size (baseline always runs) */
  targets: NodeTarget[];
}

const NODE_TARGETS = ['split', 'parse', 'consume', 'parse-semi8', 'discover'] as const;
type NodeTarget = (typeof NODE_TARGETS)[number];

function parseOptions(argv: string[]): Options {
  const options: Options = {
    lines: [1_000_000, 4_000_000],
    goaccessLines: null,
    runs: 2,
    goaccessRuns: 1,
    cpu: 1,
    seed: 42,
    dir: '/tmp/apiwarden-bench-ingest',
    isGoaccess: true,
    isGzip: false,
    isKept: false,
    report: null,
    targets: [...NODE_TARGETS],
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    const numbers = (): number[] => value().split(',').map((s) => Number(s.replace(/_/g, '')));
    if (arg === '--lines') options.lines = numbers();
    else if (arg === '--goaccess-lines') options.goaccessLines = numbers();
    else if (arg === '--runs') options.runs = Number(value());
    else if (arg === '--goaccess-runs') options.goaccessRuns = Number(value());
    else if (arg === '--cpu') options.cpu = Number(value());
    else if (arg === '--seed') options.seed = Number(value());
    else if (arg === '--dir') options.dir = value();
    else if (arg === '--no-goaccess') options.isGoaccess = false;
    else if (arg === '--gzip') options.isGzip = true;
    else if (arg === '--keep') options.isKept = true;
    else if (arg === '--report') options.report = value();
    else if (arg === '--targets') {
      const targets = value().split(',');
      const unknown = targets.filter((t) => !(NODE_TARGETS as readonly string[]).includes(t));
      if (unknown.length > 0) throw new Error(`--targets: unknown ${unknown.join(', ')} (known: ${NODE_TARGETS.join(', ')})`);
      options.targets = targets as NodeTarget[];
    }
    else throw new Error(`unknown option ${arg}`);
  }
  if (options.lines.some((n) => !Number.isInteger(n) || n <= 0)) throw new Error('--lines takes positive integers');
  return options;
}

/** baseline-cold: `discover` of an empty file with an empty compile cache, the start-up of a first run */
type Target = 'baseline' | 'baseline-cold' | NodeTarget | 'parse-gzip' | 'goaccess';

interface Measurement {
  target: Target;
  lines: number;
  run: number;
  wallSeconds: number;
  cpuSeconds: number;
  cpuPercent: number;
  maxRssKb: number;
  /** share of the pinned core used by other processes during the measurement */
  othersPercent: number;
  /** what the measured program said about the file (Node: its JSON line; GoAccess: its "general" block) */
  report: Record<string, unknown>;
}

/** Non-idle and total jiffies of one CPU from /proc/stat. */
function cpuJiffies(cpu: number): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n').find((l) => l.startsWith(`cpu${cpu} `));
  if (line === undefined) throw new Error(`no cpu${cpu} in /proc/stat`);
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Wait (up to 5 s) for a second in which the pinned core is less than 25 % busy; returns the last busy share. */
async function waitForQuiet(cpu: number): Promise<number> {
  let busy = 1;
  for (let tries = 0; tries < 5; tries++) {
    const a = cpuJiffies(cpu);
    await sleep(1000);
    const b = cpuJiffies(cpu);
    busy = (b.busy - a.busy) / Math.max(1, b.total - a.total);
    if (busy < 0.25) break;
  }
  return busy;
}

/** `/usr/bin/time -v` output → the fields used here. */
function parseTimeV(stderr: string): { wall: number; user: number; sys: number; cpuPercent: number; maxRssKb: number; exit: number } {
  const field = (name: string): string => {
    const m = new RegExp(`^\\s*${name}: (.*)$`, 'm').exec(stderr);
    if (m === null) throw new Error(`no "${name}" in /usr/bin/time output:\n${stderr.slice(-2000)}`);
    return m[1]!.trim();
  };
  const wallText = field('Elapsed \\(wall clock\\) time \\(h:mm:ss or m:ss\\)');
  const wall = wallText.split(':').reduce((acc, part) => acc * 60 + Number(part), 0);
  return {
    wall,
    user: Number(field('User time \\(seconds\\)')),
    sys: Number(field('System time \\(seconds\\)')),
    cpuPercent: Number(field('Percent of CPU this job got').replace('%', '')),
    maxRssKb: Number(field('Maximum resident set size \\(kbytes\\)')),
    exit: Number(field('Exit status')),
  };
}

/**
 * Node's compile cache for the measured processes, as `apiwarden` enables
 * it (bin/apiwarden.js): V8's code and the stripped TypeScript kept across
 * runs. Its own directory under --dir, emptied at the start, warmed once by
 * the cold baseline run, so every other process starts as a second
 * `apiwarden discover` would.
 */
let compileCache = '';

function measure(cpu: number, command: string[], timeoutSeconds: number): { time: ReturnType<typeof parseTimeV>; stdout: string; othersPercent: number } {
  const before = cpuJiffies(cpu);
  const child = spawnSync('/usr/bin/time', ['-v', 'taskset', '-c', String(cpu), ...command], {
    cwd: ROOT,
    env: compileCache === '' ? process.env : { ...process.env, NODE_COMPILE_CACHE: compileCache },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: timeoutSeconds * 1000,
    maxBuffer: 64 * 1024 * 1024,
  });
  const after = cpuJiffies(cpu);
  if (child.error !== undefined) throw child.error;
  const time = parseTimeV(child.stderr);
  if (time.exit !== 0) throw new Error(`${command.join(' ')} exited with ${time.exit}:\n${child.stderr.slice(-3000)}`);
  const coreBusy = (after.busy - before.busy) / CLK_TCK;
  const others = Math.max(0, coreBusy - time.user - time.sys);
  // jiffies and /usr/bin/time round differently: clamp to what a core can give
  return { time, stdout: child.stdout, othersPercent: time.wall > 0 ? Math.min(100, (100 * others) / time.wall) : 0 };
}

async function warmPageCache(file: string): Promise<void> {
  for await (const _ of createReadStream(file, { highWaterMark: 1 << 20 })) void _;
}

async function ensureLog(dir: string, lines: number, seed: number): Promise<string> {
  const file = join(dir, `nginx-combined-${lines}-seed${seed}.log`);
  const marker = `${file}.done`;
  if (!existsSync(marker)) {
    process.stdout.write(`generating ${lines.toLocaleString('en')} lines into ${file} … `);
    const bytes = await generateLog(file, lines, seed);
    writeFileSync(marker, String(bytes));
    console.log(`${(bytes / 1e6).toFixed(0)} MB`);
  }
  return file;
}

async function gzipLog(file: string): Promise<string> {
  const gz = `${file}.gz`;
  if (!existsSync(`${gz}.done`)) {
    process.stdout.write(`compressing ${file} (gzip level 6) … `);
    await pipeline(createReadStream(file), createGzip({ level: 6 }), createWriteStream(gz));
    writeFileSync(`${gz}.done`, '');
    console.log(`${(statSync(gz).size / 1e6).toFixed(0)} MB`);
  }
  return gz;
}

function nodeRun(options: Options, target: Exclude<Target, 'goaccess' | 'parse-gzip'>, file: string, lines: number, run: number, busyBefore: number): Measurement {
  const command = target === 'parse-semi8' ? [NODE, '--max-semi-space-size=8', 'bench/ingest/consume.ts', 'parse', file] : [NODE, 'bench/ingest/consume.ts', target, file];
  const { time, stdout, othersPercent } = measure(options.cpu, command, 600);
  const report = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
  return { target, lines, run, wallSeconds: time.wall, cpuSeconds: time.user + time.sys, cpuPercent: time.cpuPercent, maxRssKb: time.maxRssKb, othersPercent, report: { ...report, busyBefore } };
}

function goaccessRun(options: Options, file: string, lines: number, run: number, busyBefore: number): Measurement {
  const out = join(options.dir, `goaccess-${lines}.json`);
  const { time, othersPercent } = measure(
    options.cpu,
    ['goaccess', file, '--log-format=COMBINED', '--no-global-config', '--no-progress', '-o', out],
    1200,
  );
  const general = (JSON.parse(readFileSync(out, 'utf8')) as { general: Record<string, unknown> }).general;
  rmSync(out, { force: true });
  return {
    target: 'goaccess',
    lines,
    run,
    wallSeconds: time.wall,
    cpuSeconds: time.user + time.sys,
    cpuPercent: time.cpuPercent,
    maxRssKb: time.maxRssKb,
    othersPercent,
    report: { total_requests: general.total_requests, valid_requests: general.valid_requests, failed_requests: general.failed_requests, busyBefore },
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const fmt = (n: number, digits = 0): string => n.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });

interface Row {
  target: Target;
  lines: number;
  runs: number;
  cpuSeconds: number;
  linesPerCpuSecond: number;
  wallSeconds: number;
  linesPerWallSecond: number;
  /** lines per CPU-second spent reading, measured inside the Node process (no start-up, no module loading) */
  readingLinesPerCpuSecond: number | null;
  maxRssMb: number;
  /** Node targets: V8's young and old generation sizes at the end of the largest-RSS run */
  heapSpaces: string;
  othersPercent: number;
  parsed: string;
}

/** Median over runs (by CPU time) per target and size. */
function summarise(measurements: readonly Measurement[]): Row[] {
  const keys = [...new Set(measurements.map((m) => `${m.target}|${m.lines}`))];
  return keys.map((key) => {
    const group = measurements.filter((m) => `${m.target}|${m.lines}` === key);
    const first = group[0]!;
    const cpu = median(group.map((m) => m.cpuSeconds));
    const wall = median(group.map((m) => m.wallSeconds));
    const inProcess = group.map((m) => m.report.cpuSeconds).filter((s): s is number => typeof s === 'number');
    const lines = first.target === 'baseline' ? 0 : first.lines;
    const r = first.report;
    const parsed =
      first.target === 'goaccess'
        ? `${fmt(Number(r.valid_requests))} valid, ${fmt(Number(r.failed_requests))} failed`
        : first.target === 'baseline' || first.target === 'baseline-cold' || first.target === 'split'
          ? '–'
          : `${fmt(Number(r.parsed))} parsed, ${fmt(Number(r.malformed))} malformed${first.target === 'discover' ? `, ${fmt(Number(r.check))} endpoints` : ''}`;
    return {
      target: first.target,
      lines,
      runs: group.length,
      cpuSeconds: cpu,
      linesPerCpuSecond: lines / cpu,
      wallSeconds: wall,
      linesPerWallSecond: lines / wall,
      readingLinesPerCpuSecond: inProcess.length > 0 && lines > 0 ? lines / median(inProcess) : null,
      maxRssMb: Math.max(...group.map((m) => m.maxRssKb)) / 1024,
      heapSpaces: (() => {
        const top = group.reduce((a, b) => (b.maxRssKb > a.maxRssKb ? b : a)).report;
        return typeof top.newSpaceMb === 'number' ? `${String(top.newSpaceMb)} / ${String(top.oldSpaceMb)}` : '–';
      })(),
      othersPercent: Math.max(...group.map((m) => m.othersPercent)),
      parsed,
    };
  });
}

function markdown(rows: readonly Row[], meta: Record<string, unknown>): string {
  const out: string[] = [];
  out.push(`Pinned to CPU ${String(meta.cpu)}; ${String(meta.runs)} run(s) of each apiwarden target (median; peak RSS: the highest), ${String(meta.goaccessRuns)} of GoAccess; ${String(meta.machine)}.`, '');
  out.push('| target | lines | lines per CPU-s, whole process | lines per CPU-s, reading only | CPU s | wall s | lines/s wall | peak RSS MB | V8 young / old gen MB | others on the core | records |');
  out.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const r of rows) {
    out.push(
      `| ${r.target} | ${r.lines === 0 ? '–' : fmt(r.lines)} | ${r.lines === 0 ? '–' : fmt(r.linesPerCpuSecond)} | ${r.readingLinesPerCpuSecond === null ? '–' : fmt(r.readingLinesPerCpuSecond)} | ${fmt(r.cpuSeconds, 2)} | ${fmt(r.wallSeconds, 2)} | ${r.lines === 0 ? '–' : fmt(r.linesPerWallSecond)} | ${fmt(r.maxRssMb, 1)} | ${r.heapSpaces} | ${fmt(r.othersPercent)} % | ${r.parsed} |`,
    );
  }
  const sizes = [...new Set(rows.filter((r) => r.lines > 0).map((r) => r.lines))].sort((a, b) => a - b);
  const find = (target: Target, lines: number): Row | undefined => rows.find((r) => r.target === target && r.lines === lines);
  out.push('');
  for (const lines of sizes) {
    const parse = find('parse', lines);
    const goaccess = find('goaccess', lines);
    if (parse !== undefined && goaccess !== undefined) {
      out.push(`- ${fmt(lines)} lines, whole processes: apiwarden parse ${fmt(parse.linesPerCpuSecond)} lines per CPU-s vs GoAccess ${fmt(goaccess.linesPerCpuSecond)} (${fmt(parse.linesPerCpuSecond / goaccess.linesPerCpuSecond, 1)}×); peak RSS ${fmt(parse.maxRssMb, 1)} MB vs ${fmt(goaccess.maxRssMb, 1)} MB.`);
    }
    const discover = find('discover', lines);
    if (discover !== undefined && goaccess !== undefined) {
      out.push(`- ${fmt(lines)} lines, whole processes: apiwarden discover ${fmt(discover.linesPerCpuSecond)} lines per CPU-s vs GoAccess ${fmt(goaccess.linesPerCpuSecond)} (${fmt(discover.linesPerCpuSecond / goaccess.linesPerCpuSecond, 1)}×); peak RSS ${fmt(discover.maxRssMb, 1)} MB vs ${fmt(goaccess.maxRssMb, 1)} MB.`);
    }
  }
  if (sizes.length >= 2) {
    const small = sizes[0]!;
    const large = sizes[sizes.length - 1]!;
    for (const target of [...NODE_TARGETS, 'goaccess'] as const) {
      const a = find(target, small);
      const b = find(target, large);
      if (a !== undefined && b !== undefined) out.push(`- ${target}: peak RSS ${fmt(a.maxRssMb, 1)} MB at ${fmt(small)} lines, ${fmt(b.maxRssMb, 1)} MB at ${fmt(large)} lines (${b.maxRssMb >= a.maxRssMb ? '+' : ''}${fmt(((b.maxRssMb - a.maxRssMb) / a.maxRssMb) * 100, 0)} %).`);
    }
  }
  return out.join('\n');
}

function toolVersion(command: string, args: string[]): string {
  const r = spawnSync(command, args, { encoding: 'utf8' });
  return (r.stdout || r.stderr || '').split('\n')[0]!.trim();
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options.report !== null) {
    const saved = JSON.parse(readFileSync(options.report, 'utf8')) as { meta: Record<string, unknown>; measurements: Measurement[] };
    console.log(markdown(summarise(saved.measurements), saved.meta));
    return;
  }
  for (const tool of ['/usr/bin/time', 'taskset', ...(options.isGoaccess ? ['goaccess'] : [])]) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) throw new Error(`bench: ${tool} is not installed (Debian: apt-get install time util-linux goaccess)`);
  }
  mkdirSync(options.dir, { recursive: true });
  mkdirSync(RESULTS, { recursive: true });
  const meta = {
    date: new Date().toISOString(),
    cpu: options.cpu,
    runs: options.runs,
    goaccessRuns: options.goaccessRuns,
    seed: options.seed,
    machine: `${toolVersion('nproc', [])} vCPUs, Node ${process.version}, ${toolVersion('goaccess', ['--version']).replace(/\.$/, '')}`,
    lines: options.lines,
  };
  const measurements: Measurement[] = [];
  const record = (m: Measurement): void => {
    measurements.push(m);
    console.log(
      `${m.target.padEnd(10)} ${String(m.lines).padStart(9)} run ${m.run}: cpu ${m.cpuSeconds.toFixed(2)} s, wall ${m.wallSeconds.toFixed(2)} s, ${m.lines > 0 && m.target !== 'baseline' ? `${fmt(m.lines / m.cpuSeconds)} lines/CPU-s, ` : ''}peak RSS ${(m.maxRssKb / 1024).toFixed(1)} MB, others ${m.othersPercent.toFixed(0)} %`,
    );
  };
  const files: string[] = [];
  try {
    compileCache = join(options.dir, 'compile-cache');
    rmSync(compileCache, { recursive: true, force: true });
    // the first process fills the cache (cold); a second measures the warm start every later run gets
    const coldBusy = await waitForQuiet(options.cpu);
    record({ ...nodeRun(options, 'discover', '/dev/null', 0, 1, coldBusy), target: 'baseline-cold' });
    const baselineBusy = await waitForQuiet(options.cpu);
    record(nodeRun(options, 'baseline', '/dev/null', 0, 1, baselineBusy));
    for (const lines of options.lines) {
      const file = await ensureLog(options.dir, lines, options.seed);
      files.push(file);
      await warmPageCache(file);
      for (let run = 1; run <= options.runs; run++) {
        for (const target of options.targets) {
          const busy = await waitForQuiet(options.cpu);
          record(nodeRun(options, target, file, lines, run, busy));
        }
      }
      if (options.isGoaccess && (options.goaccessLines ?? [options.lines[0]]).includes(lines)) {
        for (let run = 1; run <= options.goaccessRuns; run++) {
          const busy = await waitForQuiet(options.cpu);
          record(goaccessRun(options, file, lines, run, busy));
        }
      }
    }
    if (options.isGzip) {
      const lines = options.lines[0]!;
      const gz = await gzipLog(files[0]!);
      files.push(gz);
      await warmPageCache(gz);
      for (let run = 1; run <= options.runs; run++) {
        const busy = await waitForQuiet(options.cpu);
        const m = nodeRun(options, 'parse', gz, lines, run, busy);
        record({ ...m, target: 'parse-gzip' });
      }
    }
  } finally {
    if (!options.isKept) {
      for (const file of files) {
        rmSync(file, { force: true });
        rmSync(`${file}.done`, { force: true });
      }
    }
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const base = join(RESULTS, stamp);
  const table = markdown(summarise(measurements), meta);
  writeFileSync(`${base}.json`, `${JSON.stringify({ meta, measurements }, null, 2)}\n`);
  writeFileSync(`${base}.md`, `${table}\n`);
  console.log(`\n${table}\n\nresults: ${base}.json, ${base}.md`);
}

await main();
