/**
 * Running the audit: load each document, run every check, give each finding
 * its file position (locate.ts) and traffic (live.ts), sort, and summarise.
 */

import { readFileSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import { ApiwardenError } from '../errors.ts';
import { CHECKS } from './checks.ts';
import type { CheckContext, DraftFinding } from './checks.ts';
import { loadAuditDocument } from './load.ts';
import type { AuditDocument, AuditOperation } from './load.ts';
import { sumTraffic } from './live.ts';
import type { TrafficIndex } from './live.ts';
import { createLocator } from './locate.ts';
import type { Locator } from './locate.ts';
import { SEVERITIES, isAtLeast, severityRank } from './types.ts';
import type { AuditReport, AuditedDocument, Finding, LiveTraffic, Severity } from './types.ts';

export interface AuditOptions {
  /** traffic recorded by the gateway, to mark findings live */
  traffic?: TrafficIndex;
  /** sunsets announced by the policy */
  hasPolicySunset?: CheckContext['hasPolicySunset'];
  /** findings below this are counted in `summary.hidden` and left out of `findings`; default info (all) */
  minSeverity?: Severity;
  /** base for relative file names in locations; default process.cwd() */
  cwd?: string;
}

export interface AuditOutcome {
  report: AuditReport;
  /** every finding, including those below `minSeverity` (for --fail-on) */
  allFindings: Finding[];
  /** documents that could not be loaded, each error's message starting with the file */
  errors: ApiwardenError[];
}

/** Audits documents in the order given. A document that fails to load is reported in `errors`; the others are still audited. */
export async function auditFiles(files: readonly string[], options: AuditOptions = {}): Promise<AuditOutcome> {
  const locator = createLocator();
  const documents: AuditedDocument[] = [];
  const findings: Finding[] = [];
  const errors: ApiwardenError[] = [];
  for (const file of files) {
    let document: AuditDocument;
    try {
      document = await loadAuditDocument(file);
    } catch (error) {
      if (error instanceof ApiwardenError) {
        errors.push(error);
        continue;
      }
      throw error;
    }
    documents.push({
      file, format: document.format, title: document.title, version: document.version,
      operations: document.operations.length,
    });
    findings.push(...auditDocument(document, options, locator));
  }
  return { ...buildReport(documents, findings, options.minSeverity ?? 'info'), errors };
}

/** The findings of one loaded document, sorted. */
export function auditDocument(document: AuditDocument, options: AuditOptions = {}, locator: Locator = createLocator()): Finding[] {
  const context: CheckContext = options.hasPolicySunset ? { hasPolicySunset: options.hasPolicySunset } : {};
  const drafts = CHECKS.flatMap((check) => check.run(document, context));
  const cwd = options.cwd ?? process.cwd();
  const trafficCache = new Map<AuditOperation, LiveTraffic | null>();
  const trafficOf = (op: AuditOperation): LiveTraffic | null => {
    if (!options.traffic) return null;
    if (trafficCache.has(op)) return trafficCache.get(op) ?? null;
    const traffic = options.traffic.trafficOf(document.source, op.method, op.templates);
    // HEAD is answered by GET when the document declares no HEAD (the
    // gateway's route table does the same): those calls reached this GET.
    const head = op.method === 'GET' && !document.operations.some((o) => o.method === 'HEAD' && o.pathKey === op.pathKey)
      ? options.traffic.trafficOf(document.source, 'HEAD', op.templates)
      : null;
    const total = sumTraffic([traffic, head]);
    trafficCache.set(op, total);
    return total;
  };
  return sortFindings(drafts.map((draft) => toFinding(document, draft, locator, cwd, trafficOf)));
}

function toFinding(
  document: AuditDocument,
  draft: DraftFinding,
  locator: Locator,
  cwd: string,
  trafficOf: (op: AuditOperation) => LiveTraffic | null,
): Finding {
  const position = locator.locate(document.source, draft.pointer);
  const file = isAbsolute(document.file) ? position.file : relative(cwd, position.file);
  const finding: Finding = {
    id: draft.id,
    severity: draft.severity,
    message: draft.message,
    location: { document: document.file, pointer: draft.pointer, file },
  };
  if (position.line !== undefined) finding.location.line = position.line;
  if (position.column !== undefined) finding.location.column = position.column;
  const [only] = draft.operations;
  if (draft.isPerOperation && only !== undefined && draft.operations.length === 1) finding.operation = only.label;
  else finding.operations = draft.operations.map((op) => op.label);
  const live = sumTraffic(draft.operations.map(trafficOf));
  if (live) finding.live = live;
  return finding;
}

/**
 * Severity first; within a severity, findings with traffic first (most
 * calls first), then by position, so that the output is stable.
 */
export function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort((a, b) =>
    severityRank(a.severity) - severityRank(b.severity)
    || (b.live?.calls ?? 0) - (a.live?.calls ?? 0)
    || a.location.file.localeCompare(b.location.file)
    || (a.location.line ?? 0) - (b.location.line ?? 0)
    || (a.location.column ?? 0) - (b.location.column ?? 0)
    || a.id.localeCompare(b.id)
    || a.message.localeCompare(b.message));
}

/** The report for findings already sorted per document (document order is kept). */
export function buildReport(documents: AuditedDocument[], findings: Finding[], minSeverity: Severity = 'info'): Omit<AuditOutcome, 'errors'> {
  const shown = findings.filter((f) => isAtLeast(f.severity, minSeverity));
  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const f of shown) bySeverity[f.severity] += 1;
  return {
    report: {
      version: 1,
      tool: { name: 'apiwarden', version: TOOL_VERSION },
      documents,
      findings: shown,
      summary: {
        total: shown.length,
        bySeverity,
        live: shown.filter((f) => f.live !== undefined).length,
        hidden: findings.length - shown.length,
      },
    },
    allFindings: findings,
  };
}

/** The package version (src/audit and dist/audit are both two levels below package.json). */
export const TOOL_VERSION: string = (() => {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
})();
