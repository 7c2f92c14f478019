/**
 * `--format sarif`: SARIF 2.1.0 (OASIS Static Analysis Results Interchange
 * Format), for code-scanning UIs (GitHub, GitLab, VS Code's SARIF viewer).
 *
 * - one run; `tool.driver` is apiwarden with one rule per finding id
 *   (rules.ts), each with a short description, help text, a default level
 *   and a `security-severity` property (GitHub ranks alerts by it);
 * - a result per finding: `level` error (critical, high), warning (medium)
 *   or note (low, info); the physical location is the file that holds the
 *   node, relative to the working directory (`uriBaseId` SRCROOT), with
 *   `region.startLine`/`startColumn` when known; the operation is a logical
 *   location; `partialFingerprints` keep an alert's identity across runs
 *   when lines move.
 */

import { createHash } from 'node:crypto';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { RULES } from './rules.ts';
import type { AuditReport, Finding, FindingId, Severity } from './types.ts';
import { FINDING_IDS } from './types.ts';

export type SarifLevel = 'error' | 'warning' | 'note';

export function sarifLevel(severity: Severity): SarifLevel {
  if (severity === 'critical' || severity === 'high') return 'error';
  return severity === 'medium' ? 'warning' : 'note';
}

/** GitHub's bands: critical >= 9.0, high 7.0-8.9, medium 4.0-6.9, low 0.1-3.9. */
const SECURITY_SEVERITY: Record<Severity, string> = {
  critical: '9.5',
  high: '8.0',
  medium: '5.5',
  low: '3.0',
  info: '0.0',
};

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

export interface FormatSarifOptions {
  /** base of relative artifact URIs; default process.cwd() */
  cwd?: string;
}

/** The SARIF log as an object (formatSarif serialises it). */
export function buildSarif(report: AuditReport, options: FormatSarifOptions = {}): Record<string, unknown> {
  const cwd = options.cwd ?? process.cwd();
  const ruleIndex = new Map<FindingId, number>(FINDING_IDS.map((id, i) => [id, i]));
  const rules = FINDING_IDS.map((id) => {
    const rule = RULES[id];
    return {
      id,
      name: id.replace(/(^|[.-])(\w)/g, (_, __, ch: string) => ch.toUpperCase()),
      shortDescription: { text: rule.title },
      fullDescription: { text: rule.help },
      help: { text: rule.help },
      defaultConfiguration: { level: sarifLevel(rule.severity) },
      properties: {
        tags: ['security', 'openapi', id.split('.')[0]],
        'security-severity': SECURITY_SEVERITY[rule.severity],
        severities: rule.severities,
      },
    };
  });
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [{
      tool: {
        driver: {
          name: 'apiwarden',
          version: report.tool.version,
          semanticVersion: report.tool.version,
          rules,
        },
      },
      originalUriBaseIds: {
        // "SHALL end with a slash" (SARIF 2.1.0 §3.14.14)
        SRCROOT: { uri: pathToFileURL(cwd.endsWith(sep) ? cwd : cwd + sep).href },
      },
      columnKind: 'unicodeCodePoints',
      results: report.findings.map((f) => result(f, ruleIndex.get(f.id) ?? 0, cwd)),
    }],
  };
}

export function formatSarif(report: AuditReport, options: FormatSarifOptions = {}): string {
  return JSON.stringify(buildSarif(report, options), null, 2);
}

function artifactLocation(file: string, cwd: string): { uri: string; uriBaseId?: string } {
  const absolute = resolve(cwd, file);
  const rel = relative(cwd, absolute);
  // Outside the working directory a relative reference would climb out of
  // SRCROOT; an absolute file URI says the truth instead.
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return { uri: pathToFileURL(absolute).href };
  return { uri: rel.split(sep).map(encodeURIComponent).join('/'), uriBaseId: 'SRCROOT' };
}

function result(f: Finding, index: number, cwd: string): Record<string, unknown> {
  const region: Record<string, number> = {};
  if (f.location.line !== undefined) region.startLine = f.location.line;
  if (f.location.line !== undefined && f.location.column !== undefined) region.startColumn = f.location.column;
  const physicalLocation: Record<string, unknown> = { artifactLocation: artifactLocation(f.location.file, cwd) };
  if (region.startLine !== undefined) physicalLocation.region = region;
  const location: Record<string, unknown> = { physicalLocation };
  if (f.operation) location.logicalLocations = [{ fullyQualifiedName: f.operation, kind: 'function' }];
  const properties: Record<string, unknown> = { severity: f.severity, pointer: f.location.pointer, document: f.location.document };
  if (f.operations) properties.operations = f.operations;
  if (f.live) properties.live = f.live;
  return {
    ruleId: f.id,
    ruleIndex: index,
    level: sarifLevel(f.severity),
    message: { text: f.message },
    locations: [location],
    partialFingerprints: {
      // the id, the document and the pointer: stable when lines move, new when the cause moves
      'apiwarden/v1': createHash('sha256')
        .update(`${f.id}\u0000${relative(cwd, resolve(cwd, f.location.document))}\u0000${f.location.pointer}`)
        .digest('hex').slice(0, 32),
    },
    properties,
  };
}
