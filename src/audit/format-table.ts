/**
 * The readable report: per document, findings by severity (live first within
 * a severity), each on two lines (what and where, then the message), and a
 * summary line with the counts.
 */

import type { AuditReport, Finding, Severity } from './types.ts';
import { SEVERITIES } from './types.ts';

export interface FormatTableOptions {
  /** ANSI colours for severities (the caller decides: TTY, NO_COLOR) */
  color?: boolean;
}

const RESET = '\x1b[0m';
const SEVERITY_COLOR: Record<Severity, string> = {
  critical: '\x1b[1;31m',
  high: '\x1b[31m',
  medium: '\x1b[33m',
  low: '\x1b[36m',
  info: '\x1b[2m',
};

/**
 * Documents audited may come from anyone (a partner's spec, a download):
 * printed raw, an escape sequence in a path or a property name could rewrite
 * the terminal, and a bidi override could make it read as something else.
 * Control and bidi/zero-width characters are shown as escapes.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

function safe(text: string): string {
  return text.replace(UNSAFE, (ch) => {
    const code = ch.codePointAt(0) ?? 0;
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

const SEVERITY_WIDTH = Math.max(...SEVERITIES.map((s) => s.length));
const number = new Intl.NumberFormat('en-US');

/** "live: 1,203 calls, 1,180 2xx" */
export function liveLabel(finding: Finding): string {
  if (!finding.live) return '';
  const { calls, status2xx } = finding.live;
  return `live: ${number.format(calls)} call${calls === 1 ? '' : 's'}, ${number.format(status2xx)} 2xx`;
}

function where(finding: Finding): string {
  const { file, line, column } = finding.location;
  return line === undefined ? file : `${file}:${line}${column === undefined ? '' : `:${column}`}`;
}

export function formatTable(report: AuditReport, options: FormatTableOptions = {}): string {
  const paint = (severity: Severity, text: string): string =>
    options.color ? `${SEVERITY_COLOR[severity]}${text}${RESET}` : text;
  const idWidth = Math.max(0, ...report.findings.map((f) => f.id.length));
  const lines: string[] = [];
  for (const document of report.documents) {
    if (lines.length > 0) lines.push('');
    const title = [document.title, document.version].filter((s) => s !== '').join(' ');
    lines.push(safe(`${document.file}${title === '' ? '' : ` — ${title}`} (${document.format}, ${document.operations} operation${document.operations === 1 ? '' : 's'})`));
    const findings = report.findings.filter((f) => f.location.document === document.file);
    if (findings.length === 0) lines.push('  no findings');
    for (const f of findings) {
      const head = [
        paint(f.severity, f.severity.toUpperCase().padEnd(SEVERITY_WIDTH)),
        f.id.padEnd(idWidth),
        safe(where(f)),
        f.live ? `[${liveLabel(f)}]` : '',
      ].filter((s) => s !== '').join('  ');
      lines.push(`  ${head}`);
      lines.push(`      ${safe(f.message)}`);
    }
  }
  lines.push('');
  lines.push(summaryLine(report));
  return lines.join('\n');
}

/** "7 findings: 1 critical, 2 high, 3 low, 1 info (2 live); 264 below --min-severity not shown" */
export function summaryLine(report: AuditReport): string {
  const { total, bySeverity, live, hidden } = report.summary;
  const counts = SEVERITIES.filter((s) => bySeverity[s] > 0).map((s) => `${bySeverity[s]} ${s}`);
  let line = total === 0
    ? `no findings in ${report.documents.length} document${report.documents.length === 1 ? '' : 's'}`
    : `${total} finding${total === 1 ? '' : 's'}: ${counts.join(', ')}${live > 0 ? ` (${live} live)` : ''}`;
  if (hidden > 0) line += `; ${hidden} below --min-severity not shown`;
  return line;
}
