/**
 * `apiwarden discover [--spec doc.yaml …] FILES…`: discovery out of band.
 * Reads access logs (nginx/Apache combined, JSON lines, Envoy, AWS ALB),
 * HAR files and apiwarden's own event logs, plain or gzipped, streaming;
 * builds the endpoint inventory; holds it against the documents; prints a
 * report and writes JSON, Markdown, HTML and an OpenAPI draft on request.
 * A malformed line is counted and reported with its line number, never
 * fatal. Exit codes: 0, 1 when a finding is at or above --fail-on, 2 on a
 * usage or load error.
 */
import { writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { compileDocumentedRoutes } from '../discovery/documented-routes.ts';
import { countBySeverity, filterFindings, renderHtml, renderMarkdown, renderText, SEVERITIES } from '../discovery/findings.ts';
import { createInventory } from '../discovery/inventory.ts';
import { exportOpenApi, toYaml } from '../discovery/openapi-export.ts';
import { diffInventory } from '../discovery/spec-diff.ts';
import type { Finding, InventoryEndpoint, Severity } from '../discovery/types.ts';
import { ApiwardenError } from '../errors.ts';
import { readLog } from '../ingest/read-log.ts';
import { LOG_FORMATS, type IngestStats, type LogFormat } from '../ingest/types.ts';
import { loadDocument } from '../openapi/load.ts';
import { loadOperationDetails, type OperationDetails } from '../openapi/responses.ts';
import type { LoadedDocument } from '../openapi/types.ts';
import type { Io } from './main.ts';

export interface DiscoverOptions {
  spec?: string[];
  previousSpec?: string[];
  format?: string;
  retired?: string[];
  json?: string;
  markdown?: string;
  html?: string;
  openapi?: string;
  onlyUndocumented?: boolean;
  sampleRate?: string;
  top?: string;
  failOn?: string;
  /** a progress bar on standard error; default: when it is a terminal */
  progress?: boolean;
}

const EXIT_FINDINGS = 1;
const EXIT_USAGE = 2;
/** findings listed in the text report (the files written hold them all) */
const MAX_FINDINGS_SHOWN = 40;
/** malformed lines listed in the report, per file */
const MALFORMED_SHOWN = 10;

interface FileResult {
  file: string;
  stats: IngestStats;
}

export async function runDiscover(files: readonly string[], opts: DiscoverOptions, io: Io): Promise<number> {
  const usage = (message: string): number => {
    io.err(`apiwarden discover: ${message}`);
    return EXIT_USAGE;
  };
  if (files.length === 0) return usage('give one or more log or HAR files');
  if (opts.format !== undefined && !(LOG_FORMATS as readonly string[]).includes(opts.format)) return usage(`--format must be one of ${LOG_FORMATS.join(', ')}`);
  const sampleRate = opts.sampleRate === undefined ? 1 : Number(opts.sampleRate);
  if (!(sampleRate >= 0 && sampleRate <= 1)) return usage('--sample-rate must be a number from 0 to 1');
  const top = opts.top === undefined ? 30 : Number(opts.top);
  if (!Number.isInteger(top) || top < 0) return usage('--top must be a non-negative integer');
  const failOn = opts.failOn ?? 'none';
  if (failOn !== 'none' && !(SEVERITIES as readonly string[]).includes(failOn)) return usage(`--fail-on must be one of ${SEVERITIES.join(', ')}, none`);

  let current: LoadedDocument[];
  let previous: LoadedDocument[];
  const details = new Map<string, OperationDetails>();
  try {
    current = await Promise.all((opts.spec ?? []).map((f) => loadDocument(f)));
    previous = await Promise.all((opts.previousSpec ?? []).map((f) => loadDocument(f)));
    for (const f of opts.spec ?? []) for (const [k, v] of await loadOperationDetails(f)) details.set(k, v);
  } catch (error) {
    if (error instanceof ApiwardenError) return usage(error.message);
    throw error;
  }

  const inventory = createInventory({ routes: current.length > 0 ? compileDocumentedRoutes(current) : null, sampleRate });
  const startedAt = performance.now();
  const results: FileResult[] = [];
  const showProgress = opts.progress ?? process.stderr.isTTY === true;
  const bar = showProgress
    ? new cliProgress.SingleBar({ stream: process.stderr, format: ' {file} [{bar}] {percentage}% | {lines} lines | {eta_formatted} left', hideCursor: true }, cliProgress.Presets.shades_classic)
    : null;
  for (const file of files) {
    const reader = readLog(file, {
      ...(opts.format ? { format: opts.format as LogFormat } : {}),
      ...(bar ? {
        onProgress: (read: number, total: number) => {
          bar.setTotal(Math.max(1, total));
          bar.update(read, { lines: reader.stats.lines.toLocaleString('en'), file: shortName(file) });
        },
      } : {}),
    });
    bar?.start(1, 0, { file: shortName(file), lines: '0' });
    try {
      for await (const batch of reader.batches()) {
        for (const request of batch) inventory.observe(request);
      }
    } catch (error) {
      bar?.stop();
      if (error instanceof ApiwardenError) return usage(`${file}: ${error.message}`);
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return usage(`${file}: no such file`);
      throw error;
    }
    if (bar) {
      bar.setTotal(Math.max(1, reader.stats.bytesRead));
      bar.update(reader.stats.bytesRead);
      bar.stop();
    }
    results.push({ file, stats: reader.stats });
  }
  const seconds = (performance.now() - startedAt) / 1000;

  const endpoints = inventory.endpoints();
  let findings = diffInventory(endpoints, { current, details, previous }, { retiredPrefixes: opts.retired ?? [] });
  // without a document every endpoint would be a shadow and nothing an orphan: say only what traffic alone shows
  if (current.length === 0) findings = findings.filter((f) => f.kind !== 'shadow' && f.kind !== 'orphan');

  for (const line of report(results, endpoints, findings, seconds, top, current.length > 0)) io.out(line);

  const title = `apiwarden discovery: ${files.length === 1 ? shortName(files[0]!) : `${files.length} files`}`;
  const generatedAt = Date.now();
  if (opts.json) {
    writeFileSync(opts.json, `${JSON.stringify({ generatedAt: new Date(generatedAt).toISOString(), files: results, endpoints, findings }, null, 2)}\n`);
    io.err(`apiwarden discover: wrote ${opts.json}`);
  }
  if (opts.markdown) {
    writeFileSync(opts.markdown, renderMarkdown(findings, { title, generatedAt }));
    io.err(`apiwarden discover: wrote ${opts.markdown}`);
  }
  if (opts.html) {
    writeFileSync(opts.html, renderHtml(findings, { title, generatedAt }));
    io.err(`apiwarden discover: wrote ${opts.html}`);
  }
  if (opts.openapi) {
    const document = exportOpenApi(endpoints, { title: 'Discovered API', version: new Date(generatedAt).toISOString().slice(0, 10), onlyUndocumented: opts.onlyUndocumented ?? false });
    const ext = extname(opts.openapi).toLowerCase();
    writeFileSync(opts.openapi, ext === '.json' ? `${JSON.stringify(document, null, 2)}\n` : toYaml(document));
    io.err(`apiwarden discover: wrote ${opts.openapi}`);
  }
  if (failOn !== 'none' && filterFindings(findings, { minSeverity: failOn as Severity }).length > 0) return EXIT_FINDINGS;
  return 0;
}

function report(results: readonly FileResult[], endpoints: readonly InventoryEndpoint[], findings: readonly Finding[], seconds: number, top: number, hasDocuments: boolean): string[] {
  const lines: string[] = [];
  const total = results.reduce((n, r) => n + r.stats.lines - r.stats.blank, 0);
  const parsed = results.reduce((n, r) => n + r.stats.parsed, 0);
  const malformed = results.reduce((n, r) => n + r.stats.malformed, 0);
  const rate = seconds > 0 ? Math.round(total / seconds) : total;
  lines.push(`${fmt(total)} lines in ${results.length} file(s): ${fmt(parsed)} requests, ${fmt(malformed)} malformed; ${fmt(endpoints.length)} endpoints (${seconds.toFixed(1)} s, ${fmt(rate)} lines/s)`);
  for (const r of results) {
    const s = r.stats;
    lines.push(`  ${r.file}: ${s.format ?? 'unknown format'}${s.isGzip ? ', gzip' : ''}, ${fmt(s.parsed)} requests, ${fmt(s.malformed)} malformed`);
    for (const m of s.malformedSamples.slice(0, MALFORMED_SHOWN)) lines.push(`    line ${m.line}: ${m.reason}: ${JSON.stringify(m.excerpt)}`);
    if (s.malformed > MALFORMED_SHOWN) lines.push(`    … and ${fmt(s.malformed - Math.min(s.malformed, MALFORMED_SHOWN))} more`);
  }
  lines.push('');
  if (top > 0 && endpoints.length > 0) {
    lines.push(`Endpoints (${endpoints.length > top ? `busiest ${top} of ${fmt(endpoints.length)}` : fmt(endpoints.length)}):`);
    const rows = endpoints.slice(0, top).map((e) => {
      const ok = e.statuses['2xx'] ?? 0;
      const auth = Object.entries(e.auth).map(([k, v]) => `${k}:${v}`).join(' ') || '-';
      const classes = Object.keys(e.dataClasses).join(',') || '-';
      const where = hasDocuments ? (e.operationId ? 'documented' : 'undocumented') : e.learned ? `learned ${Math.round(e.learned.confidence * 100)}%` : '';
      return [e.method, `${e.host}${e.template}`, fmt(e.count), `${Math.round((ok / Math.max(1, e.count)) * 100)}%`, fmt(e.clients), auth, classes, where];
    });
    lines.push(...table(['method', 'endpoint', 'requests', '2xx', 'clients', 'auth', 'data', ''], rows));
    lines.push('');
  }
  if (findings.length === 0) {
    lines.push('No findings.');
    return lines;
  }
  const bySeverity = countBySeverity(findings);
  lines.push(`Findings: ${SEVERITIES.filter((s) => bySeverity[s] > 0).map((s) => `${bySeverity[s]} ${s}`).join(', ')}`);
  lines.push(...renderText(findings.slice(0, MAX_FINDINGS_SHOWN), {}));
  if (findings.length > MAX_FINDINGS_SHOWN) lines.push(`… and ${fmt(findings.length - MAX_FINDINGS_SHOWN)} more (--json, --markdown or --html for all of them)`);
  return lines;
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = head.map((h, i) => Math.min(70, Math.max(h.length, ...rows.map((r) => r[i]!.length))));
  const cell = (text: string, i: number): string => (text.length > widths[i]! ? `${text.slice(0, widths[i]! - 1)}…` : text.padEnd(widths[i]!));
  return [head.map(cell).join('  ').trimEnd(), ...rows.map((r) => r.map(cell).join('  ').trimEnd())].map((l) => `  ${l}`);
}

function fmt(n: number): string {
  return n.toLocaleString('en');
}

function shortName(file: string): string {
  const slash = file.lastIndexOf('/');
  return slash < 0 ? file : file.slice(slash + 1);
}

export function registerDiscoverCommand(program: Command, io: Io, setExitCode: (code: number) => void): void {
  const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
  program
    .command('discover')
    .description('build the endpoint inventory from access logs and HAR files, and hold it against OpenAPI documents')
    .argument('<files...>', 'nginx/Apache combined, JSON lines, Envoy, AWS ALB logs, HAR files or apiwarden event logs; plain or gzipped')
    .option('--spec <file>', 'the current OpenAPI document (repeatable)', collect)
    .option('--previous-spec <file>', 'the previous version of a document: operations removed since are zombies (repeatable)', collect)
    .option('--retired <prefix>', 'a retired path prefix, e.g. /v1 (repeatable)', collect)
    .option('--format <format>', `read every file as this format (${LOG_FORMATS.join(', ')}); default: detected per file`)
    .option('--sample-rate <share>', 'share of requests with bodies (HAR) whose bodies are inspected, 0..1', '1')
    .option('--top <n>', 'endpoints listed in the report', '30')
    .option('--json <file>', 'write the inventory and findings as JSON')
    .option('--markdown <file>', 'write the findings as Markdown')
    .option('--html <file>', 'write the findings as a self-contained HTML page')
    .option('--openapi <file>', 'write an OpenAPI 3.1 draft of what was observed (.yaml or .json)')
    .option('--only-undocumented', 'the OpenAPI draft holds only endpoints the documents lack')
    .option('--fail-on <severity>', `exit 1 when a finding is at or above: ${SEVERITIES.join(', ')}, none`, 'none')
    .option('--no-progress', 'no progress bar, even on a terminal')
    .action(async (files: string[], opts: DiscoverOptions) => {
      setExitCode(await runDiscover(files, opts, io));
    });
}
