/**
 * Discovery accuracy: take a real OpenAPI document, generate realistic
 * traffic from it, throw the document away, reconstruct path templates from
 * the traffic alone, and score them against the document, for apiwarden's
 * templater and for the peers (har-to-openapi, Optic), at several levels of
 * requests per endpoint (the learning curve). See README-section.md.
 *
 *   node bench/discovery/run.ts                                # Stripe, Slack, DigitalOcean, GitHub; 1,2,5,10,100
 *   node bench/discovery/run.ts --spec path/to/openapi.yaml    # other documents (repeatable), instead of those four
 *   node bench/discovery/run.ts --levels 10,100 --peers har-to-openapi
 *   node bench/discovery/run.ts --report bench/discovery/results/<file>.json
 *   APIWARDEN_SRC=/tmp/patched/src node bench/discovery/run.ts  # another copy of the templater
 *
 * Writes bench/discovery/results/<time>.json, .md and .svg.
 */

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { machine, ROOT } from '../proxy/lib.ts';
import { loadTemplater, runApiwarden, type CreatePathTemplater } from './apiwarden.ts';
import { documentEndpoints, generateTraffic, type Endpoints, type TrafficRequest } from './generate.ts';
import { writeHar } from './har.ts';
import { HAR_TO_OPENAPI_OPTIONS } from './peer-har-to-openapi.ts';
import { opticVersion, runHarToOpenapi, runOptic, type PeerOutput } from './peers.ts';
import { renderMarkdown, renderSvg } from './report.ts';
import type { DocumentResult, LevelResult, Reconstruction, Results, RunResult } from './results.ts';
import { scoreMapping } from './score.ts';
import { loadSpecDocument } from './spec-operations.ts';
import { compileMatcher, endpointKey, eraseNames } from './template-match.ts';
import { createValueSource, type ValueSource } from './values.ts';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const RESULTS_DIR = join(BENCH_DIR, 'results');
const DATA = resolve(ROOT, '../shared/data');
const DEFAULT_SPECS = [
  join(DATA, 'specs/stripe/spec3-2021-06.json'),
  join(DATA, 'specs/slack/slack_web_openapi_v2.json'),
  join(DATA, 'specs/digitalocean/specification/DigitalOcean-public.v2.yaml'),
  join(ROOT, 'node_modules/@octokit/openapi/generated/api.github.com.json'),
];

const { values } = parseArgs({
  options: {
    spec: { type: 'string', multiple: true },
    levels: { type: 'string', default: '1,2,5,10,100' },
    peers: { type: 'string', default: 'har-to-openapi,optic' },
    'peer-levels': { type: 'string', default: '1,2,5,10,100' },
    'peer-cap': { type: 'string', default: '200000' },
    // Optic's capture takes ~35 ms per request (see README-section.md)
    'optic-levels': { type: 'string', default: '1,10,100' },
    'optic-cap': { type: 'string', default: '1500' },
    'peer-timeout': { type: 'string', default: '600' },
    optic: { type: 'string', default: '/tmp/optic' },
    seed: { type: 'string', default: '1' },
    report: { type: 'string' },
    'keep-temp': { type: 'boolean', default: false },
  },
});

const numbers = (text: string, flag: string): number[] => text.split(',').filter((s) => s !== '').map((s) => {
  const n = Number(s);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag}: not a positive number: ${s}`);
  return n;
});

const stamp = (iso: string): string => iso.replace(/[:.]/g, '-');
const log = (message: string): void => {
  process.stderr.write(`${message}\n`);
};

function writeReport(results: Results, jsonFile: string): string {
  const svgFile = jsonFile.replace(/\.json$/, '.svg');
  writeFileSync(svgFile, renderSvg(results));
  const markdown = renderMarkdown(results, basename(svgFile));
  writeFileSync(jsonFile.replace(/\.json$/, '.md'), markdown);
  return markdown;
}

async function main(): Promise<void> {
  if (values.report !== undefined) {
    const file = resolve(values.report);
    process.stdout.write(writeReport(JSON.parse(readFileSync(file, 'utf8')) as Results, file));
    return;
  }
  const levels = numbers(values.levels, '--levels');
  const peerSettings: Results['peerSettings'] = {
    'har-to-openapi': { levels: numbers(values['peer-levels'], '--peer-levels'), cap: numbers(values['peer-cap'], '--peer-cap')[0] as number },
    optic: { levels: numbers(values['optic-levels'], '--optic-levels'), cap: numbers(values['optic-cap'], '--optic-cap')[0] as number },
  };
  const peers = values.peers.split(',').filter((p) => p !== '') as Array<Exclude<Reconstruction, 'apiwarden'>>;
  for (const p of peers) if (p !== 'har-to-openapi' && p !== 'optic') throw new Error(`--peers: har-to-openapi or optic, not ${p}`);
  const peerTimeoutS = numbers(values['peer-timeout'], '--peer-timeout')[0] as number;
  const opticPrefix = resolve(values.optic);
  const optic = opticVersion(opticPrefix);
  if (peers.includes('optic') && optic === null) log(`!! Optic not found under ${opticPrefix}: see README-section.md to install it; running without it`);

  const templater = await loadTemplater();
  const startedAt = new Date().toISOString();
  const results: Results = {
    startedAt,
    finishedAt: '',
    seed: values.seed,
    levels,
    peerSettings,
    peerTimeoutS,
    machine: machine(),
    node: process.version,
    templater: relative(ROOT, templater.source),
    templaterFingerprint: templater.fingerprint,
    peers: {
      'har-to-openapi': { version: packageVersion('har-to-openapi'), options: { ...HAR_TO_OPENAPI_OPTIONS } },
      optic: {
        version: peers.includes('optic') ? optic : null,
        note: !peers.includes('optic') ? 'not asked for' : optic === null ? `not installed under ${opticPrefix}` : '`optic capture --har --update automatic`',
      },
    },
    documents: [],
    skipped: [],
  };
  const temp = mkdtempSync(join(tmpdir(), 'apiwarden-discovery-'));
  try {
    for (const file of values.spec ?? DEFAULT_SPECS) {
      if (!existsSync(file)) {
        log(`-- skipped ${file}: absent`);
        results.skipped.push(`${file}: absent`);
        continue;
      }
      results.documents.push(await runDocument(file, {
        levels, peerSettings, peers: optic === null ? peers.filter((p) => p !== 'optic') : peers,
        peerTimeoutMs: peerTimeoutS * 1000, opticPrefix, seed: values.seed, temp, create: templater.create,
      }));
    }
  } finally {
    if (values['keep-temp']) log(`temp files kept in ${temp}`);
    else rmSync(temp, { recursive: true, force: true });
  }
  results.finishedAt = new Date().toISOString();
  mkdirSync(RESULTS_DIR, { recursive: true });
  const jsonFile = join(RESULTS_DIR, `${stamp(startedAt)}.json`);
  writeFileSync(jsonFile, `${JSON.stringify(results, null, 1)}\n`);
  process.stdout.write(writeReport(results, jsonFile));
  log(`results: ${relative(process.cwd(), jsonFile)} (.md, .svg)`);
}

interface DocumentOptions {
  levels: number[];
  peerSettings: Results['peerSettings'];
  peers: Array<Exclude<Reconstruction, 'apiwarden'>>;
  peerTimeoutMs: number;
  opticPrefix: string;
  seed: string;
  temp: string;
  create: CreatePathTemplater;
}

async function runDocument(file: string, options: DocumentOptions): Promise<DocumentResult> {
  const id = basename(file, extname(file));
  const started = performance.now();
  const doc = await loadSpecDocument(file);
  const loadMs = performance.now() - started;
  const endpoints = documentEndpoints(doc);
  const enumKeys = new Set(endpoints.endpoints.filter((e) => e.hasEnumParameter).map((e) => e.key));
  const documentKeys = new Set(endpoints.endpoints.map((e) => e.key));
  log(`== ${doc.title} (${id}): ${doc.operations.length} operations, ${endpoints.endpoints.length} endpoints, host ${doc.host}`);
  const valueSource = createValueSource(`${options.seed}|${id}`);
  const levels: LevelResult[] = [];
  for (const mean of options.levels) {
    const traffic = generateTraffic(doc, endpoints, valueSource, mean, `${options.seed}|${id}`);
    const requests = traffic.requests;
    const truth = requests.map((r) => (endpoints.endpoints[r.endpoint] as Endpoints['endpoints'][number]).key);
    const enumLiteral = requests.map((r) => r.enumLiteralKey);
    const level: LevelResult = {
      mean,
      requests: requests.length,
      endpointsWithTraffic: new Set(truth).size,
      redraws: traffic.redraws,
      dropped: traffic.dropped,
      runs: {},
      prefixRuns: [],
    };
    const ours = runApiwarden(options.create, requests);
    level.runs.apiwarden = {
      ok: true,
      score: scoreMapping({ truth, learned: ours.learned, documentKeys, enumKeys, enumLiteral }),
      sawRequests: requests.length,
      ms: ours.observeMs + ours.matchMs,
      templates: ours.templates,
    };
    log(`   ${mean}/endpoint: ${requests.length} requests; apiwarden F1 ${fmt(level.runs.apiwarden)}`);
    const hars = new Map<number, string>();
    for (const peer of options.peers) {
      const { levels: peerLevels, cap } = options.peerSettings[peer];
      if (!peerLevels.includes(mean)) continue;
      const seen = requests.slice(0, cap);
      let har = hars.get(seen.length);
      if (har === undefined) {
        har = join(options.temp, `${id}-${mean}-${seen.length}.har`);
        writeHar(har, seen);
        hars.set(seen.length, har);
      }
      const workDir = mkdtempSync(join(options.temp, `${peer}-`));
      let run: RunResult;
      try {
        const output = peer === 'optic'
          ? await runOptic(har, workDir, options.opticPrefix, options.peerTimeoutMs)
          : await runHarToOpenapi(har, workDir, options.peerTimeoutMs);
        run = scorePeer(output, seen, truth.slice(0, seen.length), enumLiteral.slice(0, seen.length), documentKeys, enumKeys);
      } catch (err) {
        run = { ok: false, reason: err instanceof Error ? err.message : String(err) };
      }
      level.runs[peer] = run;
      log(`   ${mean}/endpoint: ${peer}${seen.length < requests.length ? ` (first ${seen.length})` : ''} F1 ${fmt(run)}`);
      if (seen.length < requests.length && !level.prefixRuns.some((p) => p.requests === seen.length)) {
        const prefix = runApiwarden(options.create, seen);
        const prefixRun: RunResult = {
          ok: true,
          score: scoreMapping({ truth: truth.slice(0, seen.length), learned: prefix.learned, documentKeys, enumKeys, enumLiteral: enumLiteral.slice(0, seen.length) }),
          sawRequests: seen.length,
          ms: prefix.observeMs + prefix.matchMs,
          templates: prefix.templates,
        };
        level.prefixRuns.push({ requests: seen.length, run: prefixRun });
        log(`   ${mean}/endpoint: apiwarden (first ${seen.length}) F1 ${fmt(prefixRun)}`);
      }
    }
    for (const har of hars.values()) rmSync(har, { force: true });
    levels.push(level);
  }
  return {
    id,
    title: doc.title,
    file: relative(ROOT, doc.file).startsWith('..') ? doc.file : relative(ROOT, doc.file),
    format: doc.format,
    host: doc.host,
    operations: doc.operations.length,
    endpoints: endpoints.endpoints.length,
    enumEndpoints: enumKeys.size,
    duplicates: endpoints.duplicates,
    loadMs,
    parameterKinds: pathParameterKinds(valueSource.populations()),
    levels,
  };
}

function scorePeer(output: PeerOutput, requests: readonly TrafficRequest[], truth: string[], enumLiteral: string[], documentKeys: ReadonlySet<string>, enumKeys: ReadonlySet<string>): RunResult {
  const started = performance.now();
  const matcher = compileMatcher(output.templates);
  // A request that none of the peer's templates matches stands for itself.
  const learned = requests.map((r) => {
    const i = matcher.match(r.method, r.path);
    const t = output.templates[i];
    return t === undefined ? `${r.method} ${eraseNames(r.path)}` : endpointKey(r.method, t.template);
  });
  return {
    ok: true,
    score: scoreMapping({ truth, learned, documentKeys, enumKeys, enumLiteral }),
    sawRequests: requests.length,
    ms: output.ms + (performance.now() - started),
    templates: output.templates.length,
  };
}

/** Kind → path parameter names, with one value. */
function pathParameterKinds(populations: ReturnType<ValueSource['populations']>): DocumentResult['parameterKinds'] {
  const byKind = new Map<string, { parameters: Set<string>; example: string }>();
  for (const { name, location, population } of populations) {
    if (location !== 'path') continue;
    const kind = population.kind.replace(/\(.*$/s, '');
    const entry = byKind.get(kind) ?? { parameters: new Set<string>(), example: population.values[0] ?? '' };
    entry.parameters.add(name);
    byKind.set(kind, entry);
  }
  return [...byKind].map(([kind, e]) => ({ kind, parameters: [...e.parameters], example: e.example }))
    .sort((a, b) => b.parameters.length - a.parameters.length);
}

function fmt(run: RunResult | undefined): string {
  if (run === undefined) return '–';
  return run.ok ? `${run.score.f1.toFixed(3)} (P ${run.score.precision.toFixed(3)}, R ${run.score.recall.toFixed(3)}, ${(run.ms / 1000).toFixed(1)} s)` : `failed: ${run.reason}`;
}

function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

await main();
