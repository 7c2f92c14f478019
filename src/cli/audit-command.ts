/**
 * `apiwarden audit <files...>`: governance checks on OpenAPI documents
 * before they ship (see src/audit). Exit codes: 0 when no finding is at or
 * above --fail-on, 1 when some is, 2 on a usage or load error.
 */

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { CommanderError, Option } from 'commander';
import type { Command } from 'commander';
import { loadPolicy } from '../config/load.ts';
import type { PolicyConfig } from '../config/types.ts';
import { ApiwardenError } from '../errors.ts';
import { auditFiles } from '../audit/audit.ts';
import type { AuditOptions } from '../audit/audit.ts';
import type { AuditDocument, AuditOperation } from '../audit/load.ts';
import { createTrafficIndex } from '../audit/live.ts';
import type { TrafficIndex } from '../audit/live.ts';
import { formatJson } from '../audit/format-json.ts';
import { formatSarif } from '../audit/format-sarif.ts';
import { formatTable } from '../audit/format-table.ts';
import { SEVERITIES, isAtLeast, isSeverity } from '../audit/types.ts';
import type { Severity } from '../audit/types.ts';
import { createSqliteStore } from '../store/sqlite.ts';
import type { Io } from './main.ts';

export const AUDIT_FORMATS = ['table', 'json', 'sarif'] as const;
export type AuditFormat = (typeof AUDIT_FORMATS)[number];

export const EXIT_OK = 0;
/** some finding at or above --fail-on */
export const EXIT_FINDINGS = 1;
/** bad arguments, or a document, policy or database that cannot be read */
export const EXIT_USAGE = 2;

export interface AuditCommandOptions {
  format?: string;
  /** a severity, or 'none' to always exit 0 */
  failOn?: string;
  minSeverity?: string;
  db?: string;
  config?: string;
  /** colour the table (TTY and no NO_COLOR) */
  color?: boolean;
  /** base for relative paths in the output; default process.cwd() */
  cwd?: string;
}

/** Runs the audit and writes the report; returns the exit code. */
export async function runAudit(files: readonly string[], opts: AuditCommandOptions, io: Io): Promise<number> {
  const usage = (message: string): number => {
    io.err(`apiwarden audit: ${message}`);
    return EXIT_USAGE;
  };
  const format = opts.format ?? 'table';
  if (!(AUDIT_FORMATS as readonly string[]).includes(format)) return usage(`--format must be one of ${AUDIT_FORMATS.join(', ')}`);
  const failOn = opts.failOn ?? 'high';
  if (failOn !== 'none' && !isSeverity(failOn)) return usage(`--fail-on must be one of ${SEVERITIES.join(', ')}, none`);
  const minSeverity = opts.minSeverity ?? 'low';
  if (!isSeverity(minSeverity)) return usage(`--min-severity must be one of ${SEVERITIES.join(', ')}`);
  if (opts.db !== undefined && opts.config !== undefined) return usage('give --db or --config, not both');

  let policy: PolicyConfig | null = null;
  if (opts.config !== undefined) {
    try {
      policy = await loadPolicy(opts.config);
    } catch (error) {
      if (error instanceof ApiwardenError) return usage(error.message);
      throw error;
    }
  }
  const documents = files.length > 0 ? [...files] : policy ? policyDocuments(policy) : [];
  if (documents.length === 0) return usage('give one or more OpenAPI documents (or --config with a policy that lists some)');

  const options: AuditOptions = { minSeverity, cwd: opts.cwd ?? process.cwd() };
  const db = opts.db ?? (policy && policy.store.sqlite !== ':memory:' ? policy.store.sqlite : undefined);
  if (opts.db === undefined && policy?.store.sqlite === ':memory:') {
    io.err('apiwarden audit: this policy keeps its store in memory; findings are not marked live');
  }
  if (db !== undefined) {
    // createSqliteStore would create a missing file: an empty store would
    // silently mark nothing live.
    if (!existsSync(db)) return usage(`${db}: no such database`);
    try {
      options.traffic = await readTraffic(db, policy);
    } catch (error) {
      if (error instanceof ApiwardenError) return usage(`${db}: ${error.message}`);
      throw error;
    }
  }
  if (policy) {
    const p = policy;
    options.hasPolicySunset = (document, op) => hasPolicySunset(p, document, op);
  }

  const outcome = await auditFiles(documents, options);
  if (outcome.errors.length > 0) {
    for (const error of outcome.errors) io.err(`apiwarden audit: ${error.message}`);
    return EXIT_USAGE;
  }
  const { report } = outcome;
  const text = format === 'json'
    ? formatJson(report)
    : format === 'sarif'
      ? formatSarif(report, { cwd: options.cwd })
      : formatTable(report, { color: opts.color ?? false });
  io.out(text);
  if (failOn === 'none') return EXIT_OK;
  return outcome.allFindings.some((f) => isAtLeast(f.severity, failOn as Severity)) ? EXIT_FINDINGS : EXIT_OK;
}

/** Every document of the policy's upstreams, once each. */
function policyDocuments(policy: PolicyConfig): string[] {
  return [...new Set(policy.upstreams.flatMap((u) => u.openapi))];
}

async function readTraffic(db: string, policy: PolicyConfig | null): Promise<TrafficIndex> {
  let store;
  try {
    store = createSqliteStore(db);
  } catch (error) {
    if (error instanceof ApiwardenError) throw error;
    throw new ApiwardenError('STORE_OPEN_FAILED', `cannot open the SQLite store: ${(error as Error).message}`, { cause: error });
  }
  try {
    const records = await store.listEndpoints();
    const byDocument = new Map<string, string[]>();
    for (const upstream of policy?.upstreams ?? []) {
      for (const document of upstream.openapi) {
        const key = resolve(document);
        byDocument.set(key, [...(byDocument.get(key) ?? []), upstream.name]);
      }
    }
    return createTrafficIndex(records, byDocument);
  } finally {
    await store.close();
  }
}

/**
 * The policy announces an end for the operation: a `sunsets` entry naming it
 * (operationId, "METHOD /template" or "METHOD /path as written", as the
 * gateway matches them), or a retired prefix with a date covering it.
 */
function hasPolicySunset(policy: PolicyConfig, document: AuditDocument, op: AuditOperation): boolean {
  const names = new Set([op.operation.operationId, ...op.templates.map((t) => `${op.method} ${t}`), `${op.method} ${op.operation.documentPath}`]);
  return policy.upstreams.some((u) => u.openapi.some((d) => resolve(d) === document.source) && (
    u.sunsets.some((s) => names.has(s.operation))
    || u.retired.some((r) => r.sunset !== null && op.templates.some((t) => t === r.prefix || t.startsWith(r.prefix.endsWith('/') ? r.prefix : `${r.prefix}/`)))));
}

export interface AuditCommandWiring {
  /** where to write; default: the program's output configuration (configureOutput), else stdout/stderr */
  io?: Io;
  /**
   * receives the exit code; default: a non-zero code is thrown as a
   * CommanderError, which `main` turns into its return value
   */
  setExitCode?: (code: number) => void;
}

/**
 * Adds `audit` to the program. Usage errors (unknown option, bad choice)
 * exit with 2 like other usage errors of this command: they are thrown as a
 * CommanderError with exitCode 2 (the program is expected to use
 * exitOverride, as `main` does).
 */
export function registerAuditCommand(program: Command, wiring: AuditCommandWiring = {}): Command {
  const command = program
    .command('audit')
    .description('check OpenAPI documents for security governance problems (missing auth, keys in URLs, plain http, sensitive data...)')
    .argument('[files...]', 'OpenAPI 3.0/3.1 or Swagger 2.0 documents (with --config and none given: the policy\'s documents)')
    .addOption(new Option('--format <format>', 'output format').choices(AUDIT_FORMATS).default('table'))
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a finding is at or above this severity').choices([...SEVERITIES, 'none']).default('high'))
    .addOption(new Option('--min-severity <severity>', 'report findings at or above this severity').choices(SEVERITIES).default('low'))
    .addOption(new Option('--db <file>', 'gateway SQLite store: mark findings on operations that received traffic').conflicts('config'))
    .addOption(new Option('-c, --config <file>', 'policy file: its store, its sunsets, and its documents when none are given').conflicts('db'))
    .exitOverride((error) => {
      // help and version exit 0: leave them as they are
      throw error.exitCode === 0 ? error : new CommanderError(EXIT_USAGE, error.code, error.message);
    })
    .action(async (files: string[], opts: AuditCommandOptions) => {
      const io = wiring.io ?? ioOf(program);
      const color = process.stdout.isTTY === true && !process.env.NO_COLOR && opts.format === 'table';
      const code = await runAudit(files, { ...opts, color }, io);
      if (wiring.setExitCode) wiring.setExitCode(code);
      else if (code !== 0) throw new CommanderError(code, 'apiwarden.audit', `apiwarden audit exited with ${code}`);
    });
  return command;
}

function ioOf(program: Command): Io {
  const output = program.configureOutput();
  const writeOut = output.writeOut ?? ((s: string) => process.stdout.write(s));
  const writeErr = output.writeErr ?? ((s: string) => process.stderr.write(s));
  return { out: (line) => writeOut(line + '\n'), err: (line) => writeErr(line + '\n') };
}
