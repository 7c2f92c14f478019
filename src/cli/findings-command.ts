/**
 * `apiwarden findings -c apiwarden.yaml`: what the running (or stopped)
 * gateway's inventory shows against the documents of its policy: shadow,
 * zombie, orphan, drift and exposure findings, most severe first. Reads the
 * inventory snapshot the gateway saves in its store (discovery.saveInterval).
 * Exit codes: 0, 1 when a finding is at or above --fail-on, 2 on a usage or
 * load error.
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { loadPolicy } from '../config/load.ts';
import { filterFindings, renderHtml, renderMarkdown, renderText, SEVERITIES } from '../discovery/findings.ts';
import { diffInventory } from '../discovery/spec-diff.ts';
import type { FindingKind, Severity } from '../discovery/types.ts';
import { ApiwardenError } from '../errors.ts';
import { loadDocument } from '../openapi/load.ts';
import { loadOperationDetails, type OperationDetails } from '../openapi/responses.ts';
import { createSqliteStore } from '../store/sqlite.ts';
import type { Io } from './main.ts';

interface FindingsOptions {
  config: string;
  db?: string;
  format?: string;
  kind?: string[];
  minSeverity?: string;
  failOn?: string;
  output?: string;
  verbose?: boolean;
}

const FORMATS = ['text', 'json', 'markdown', 'html'] as const;
const KINDS: readonly FindingKind[] = ['exposure', 'shadow', 'zombie', 'drift', 'orphan'];

export async function runFindings(opts: FindingsOptions, io: Io): Promise<number> {
  const usage = (message: string): number => {
    io.err(`apiwarden findings: ${message}`);
    return 2;
  };
  const format = opts.format ?? 'text';
  if (!(FORMATS as readonly string[]).includes(format)) return usage(`--format must be one of ${FORMATS.join(', ')}`);
  for (const k of opts.kind ?? []) if (!(KINDS as readonly string[]).includes(k)) return usage(`--kind must be one of ${KINDS.join(', ')}`);
  const minSeverity = opts.minSeverity ?? 'info';
  if (!(SEVERITIES as readonly string[]).includes(minSeverity)) return usage(`--min-severity must be one of ${SEVERITIES.join(', ')}`);
  const failOn = opts.failOn ?? 'none';
  if (failOn !== 'none' && !(SEVERITIES as readonly string[]).includes(failOn)) return usage(`--fail-on must be one of ${SEVERITIES.join(', ')}, none`);

  let policy;
  try {
    policy = await loadPolicy(opts.config);
  } catch (error) {
    if (error instanceof ApiwardenError) return usage(error.message);
    throw error;
  }
  const db = opts.db ?? policy.store.sqlite;
  if (db === ':memory:') return usage('this policy keeps its store in memory: nothing is left to read once the gateway stopped (give --db, or store.sqlite a file)');
  const files = [...new Set(policy.upstreams.flatMap((u) => u.openapi))];
  const current = await Promise.all(files.map((f) => loadDocument(f)));
  const details = new Map<string, OperationDetails>();
  for (const f of files) for (const [k, v] of await loadOperationDetails(f)) details.set(k, v);
  const retiredPrefixes = [...new Set(policy.upstreams.flatMap((u) => u.retired.map((r) => r.prefix)))];

  const store = createSqliteStore(db);
  let endpoints;
  try {
    endpoints = await store.listInventory();
  } finally {
    await store.close();
  }
  const all = diffInventory(endpoints, { current, details }, { retiredPrefixes });
  const findings = filterFindings(all, { minSeverity: minSeverity as Severity, ...(opts.kind?.length ? { kinds: opts.kind as FindingKind[] } : {}) });
  const generatedAt = Date.now();
  const title = `apiwarden findings: ${policy.source}`;
  let text: string;
  if (format === 'json') text = `${JSON.stringify({ generatedAt: new Date(generatedAt).toISOString(), endpoints: endpoints.length, findings }, null, 2)}\n`;
  else if (format === 'markdown') text = renderMarkdown(findings, { title, generatedAt });
  else if (format === 'html') text = renderHtml(findings, { title, generatedAt });
  else {
    const lines = [`${endpoints.length} endpoints in the inventory; ${findings.length} finding(s)${findings.length < all.length ? ` shown of ${all.length}` : ''}`];
    lines.push(...renderText(findings, { isVerbose: opts.verbose ?? false }));
    text = `${lines.join('\n')}\n`;
  }
  if (opts.output) {
    writeFileSync(opts.output, text);
    io.err(`apiwarden findings: wrote ${opts.output}`);
  } else {
    io.out(text.trimEnd());
  }
  if (failOn !== 'none' && filterFindings(all, { minSeverity: failOn as Severity }).length > 0) return 1;
  return 0;
}

export function registerFindingsCommand(program: Command, io: Io, setExitCode: (code: number) => void): void {
  const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
  program
    .command('findings')
    .description("hold the gateway's endpoint inventory against its documents: exposure, shadow, zombie, drift and orphan findings")
    .requiredOption('-c, --config <file>', 'policy file (apiwarden.yaml): its documents and store')
    .option('--db <file>', "SQLite database to read (instead of the policy's)")
    .option('--format <format>', `${FORMATS.join(', ')}`, 'text')
    .option('--kind <kind>', `only this kind (repeatable): ${KINDS.join(', ')}`, collect)
    .option('--min-severity <severity>', `hide findings below: ${SEVERITIES.join(', ')}`, 'info')
    .option('--fail-on <severity>', 'exit 1 when a finding is at or above this severity, or none', 'none')
    .option('-o, --output <file>', 'write to a file instead of standard output')
    .option('-v, --verbose', 'text: the detail and evidence of each finding')
    .action(async (opts: FindingsOptions) => {
      setExitCode(await runFindings(opts, io));
    });
}
