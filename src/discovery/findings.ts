/**
 * Findings as a list a person reads: stable ids, the order (the loudest
 * first), filters, and three renderings (terminal lines, Markdown, one
 * self-contained HTML page).
 *
 * Everything in a finding that comes from traffic is attacker-chosen: paths
 * and templates of shadow endpoints, host names, query parameter and JSON
 * field names in drift items, masked examples. Every renderer escapes all
 * of it for its medium; none trusts a field to be "ours".
 */
import { createHash } from 'node:crypto';
import type { Finding, FindingKind, Severity } from './types.ts';

/** Most severe first. */
export const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'info'];

/**
 * The order of kinds at equal severity: an exposure (data out to anyone) is
 * worse than an unknown door, which is worse than a door meant to be shut,
 * than a wrong contract, than a documented door nobody uses.
 */
export const FINDING_KINDS: readonly FindingKind[] = ['exposure', 'shadow', 'zombie', 'drift', 'orphan'];

export function severityRank(severity: Severity): number {
  const i = SEVERITIES.indexOf(severity);
  return i === -1 ? SEVERITIES.length : i;
}

function kindRank(kind: FindingKind): number {
  const i = FINDING_KINDS.indexOf(kind);
  return i === -1 ? FINDING_KINDS.length : i;
}

/**
 * A finding's id: the same finding gets the same id on every run (so that
 * an operator can acknowledge it, and a store can update it), whatever its
 * counts. `detailKey` separates findings of one kind on one endpoint (the
 * drift of the query from the drift of the 200 response).
 */
export function findingId(kind: FindingKind, host: string, method: string, template: string, detailKey = ''): string {
  const digest = createHash('sha256').update(JSON.stringify([kind, host, method, template, detailKey])).digest('hex');
  return `${kind}-${digest.slice(0, 16)}`;
}

/** The number of requests behind a finding (`evidence.requests`), 0 when it has none (orphans). */
export function requestsOf(finding: Finding): number {
  const n = finding.evidence.requests;
  return typeof n === 'number' && Number.isFinite(n) ? n : 0;
}

/** Severity, then kind, then requests (most first), then id: a total order, so output is stable. */
export function compareFindings(a: Finding, b: Finding): number {
  return severityRank(a.severity) - severityRank(b.severity)
    || kindRank(a.kind) - kindRank(b.kind)
    || requestsOf(b) - requestsOf(a)
    || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(compareFindings);
}

export interface FindingFilter {
  kinds?: readonly FindingKind[];
  /** keep this severity and worse */
  minSeverity?: Severity;
  /** exact host pattern */
  host?: string;
  /** a case-insensitive substring of the method, template, title or operationId */
  text?: string;
}

export function filterFindings(findings: readonly Finding[], filter: FindingFilter): Finding[] {
  const limit = filter.minSeverity === undefined ? SEVERITIES.length : severityRank(filter.minSeverity);
  const text = filter.text?.toLowerCase();
  return findings.filter((f) =>
    (filter.kinds === undefined || filter.kinds.includes(f.kind))
    && severityRank(f.severity) <= limit
    && (filter.host === undefined || f.host === filter.host)
    && (text === undefined || [f.method, f.template, f.title, f.operationId ?? ''].some((s) => s.toLowerCase().includes(text))));
}

export function countBySeverity(findings: readonly Finding[]): Record<Severity, number> {
  const counts: Record<Severity, number> = { critical: 0, high: 0, medium: 0, low: 0, info: 0 };
  for (const f of findings) if (Object.hasOwn(counts, f.severity)) counts[f.severity]++;
  return counts;
}

// ---------------------------------------------------------------------------
// escaping

/**
 * Control characters (C0, DEL, C1) and bidi / zero-width format characters
 * are shown as `\xHH` / `\uHHHH`. Printed raw, an ANSI sequence in a path
 * rewrites the operator's terminal, a line break forges a report line or a
 * Markdown table row, and a bidi override (CVE-2021-42574, "Trojan Source")
 * makes a path read as something else. The same set as
 * src/cli/inventory-format.ts, which does not export its helper.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

export function escapeUnsafe(text: string): string {
  return text.replace(UNSAFE, (ch) => {
    const code = ch.codePointAt(0) ?? 0;
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/**
 * Multi-line text made by this module (indented JSON): its own line breaks
 * are kept, everything unsafe within a line is escaped. JSON.stringify
 * already writes the line breaks of the data as `\n` inside strings.
 */
function escapeUnsafeLines(text: string): string {
  return text.split('\n').map(escapeUnsafe).join('\n');
}

/** Text for HTML element content and quoted attribute values (HTML Living Standard §13.1.2.6, §13.1.2.3). */
export function escapeHtml(text: string): string {
  return escapeHtmlLines(escapeUnsafe(text));
}

/** escapeHtml for this module's multi-line text (the evidence in a <pre>). */
function escapeHtmlLines(text: string): string {
  return escapeUnsafeLines(text)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/**
 * Text in Markdown prose: `<`, `>` and `&` as entities (no raw HTML, no
 * autolink, no entity of the attacker's choosing), every other ASCII
 * punctuation character backslash-escaped (CommonMark 0.31 §2.4: "Any ASCII
 * punctuation character may be backslash-escaped"), so that no emphasis,
 * link, image, heading or table cell can be started from the data.
 */
export function escapeMarkdown(text: string): string {
  return escapeUnsafe(text).replace(/[!-/:-@[-`{-~]/g, (ch) => {
    if (ch === '<') return '&lt;';
    if (ch === '>') return '&gt;';
    if (ch === '&') return '&amp;';
    return `\\${ch}`;
  });
}

/**
 * A Markdown code span (CommonMark §6.1) for a path or template: no escape
 * is interpreted inside, so it shows the text as is. The fence is one
 * backtick longer than the longest run inside. A `|` is still a cell
 * boundary in a GFM table, even in a code span, so in a table it becomes
 * `\|`, which GFM renders as `|` there (GFM §4.10).
 */
export function markdownCode(text: string, isInTable = false): string {
  const unsafe = escapeUnsafe(text);
  const safe = isInTable ? unsafe.replaceAll('|', '\\|') : unsafe;
  let longest = 0;
  for (const run of safe.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
  const fence = '`'.repeat(longest + 1);
  const pad = safe.startsWith('`') || safe.endsWith('`') || safe.startsWith(' ') ? ' ' : '';
  return `${fence}${pad}${safe}${pad}${fence}`;
}

function endpointOf(f: Finding): string {
  return f.host === '' ? f.template : `${f.host}${f.template.startsWith('/') ? '' : ' '}${f.template}`;
}

function isoTime(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms) || ms <= 0) return '-';
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? '-' : date.toISOString();
}

/** Evidence as indented JSON; raw (unescaped) text, for the renderers to escape. */
function evidenceJson(evidence: Readonly<Record<string, unknown>>): string {
  return JSON.stringify(evidence, null, 2) ?? '{}';
}

const SEVERITY_OR_UNKNOWN = (s: string): string => (SEVERITIES as readonly string[]).includes(s) ? s : 'unknown';

// ---------------------------------------------------------------------------
// plain text

export interface TextOptions {
  /** add the detail and the evidence under each finding, indented */
  isVerbose?: boolean;
}

/**
 * One line per finding, for a terminal or a log:
 * `CRITICAL exposure GET api.example.com/v2/... - title (123 requests) [id]`.
 */
export function renderText(findings: readonly Finding[], options: TextOptions = {}): string[] {
  const lines: string[] = [];
  for (const f of findings) {
    const requests = requestsOf(f);
    const count = requests > 0 ? ` (${requests} request${requests === 1 ? '' : 's'})` : '';
    // the title names the endpoint already
    lines.push(`${SEVERITY_OR_UNKNOWN(f.severity).toUpperCase().padEnd(8)} ${escapeUnsafe(f.kind).padEnd(8)} ${escapeUnsafe(f.title)}${count} [${escapeUnsafe(f.id)}]`);
    if (options.isVerbose) {
      lines.push(`    ${escapeUnsafe(f.detail)}`);
      // JSON.stringify already escapes C0 controls inside strings; escapeUnsafe catches C1 and bidi.
      for (const line of evidenceJson(f.evidence).split('\n')) lines.push(`    ${escapeUnsafe(line)}`);
    }
  }
  return lines;
}

// ---------------------------------------------------------------------------
// Markdown

export interface ReportOptions {
  title?: string;
  /** epoch ms shown as the report's date; omitted when absent */
  generatedAt?: number;
}

export function renderMarkdown(findings: readonly Finding[], options: ReportOptions = {}): string {
  const out: string[] = [`# ${escapeMarkdown(options.title ?? 'apiwarden findings')}`, ''];
  if (options.generatedAt !== undefined) out.push(`Generated ${escapeMarkdown(isoTime(options.generatedAt))}.`, '');
  const counts = countBySeverity(findings);
  out.push(SEVERITIES.map((s) => `${s}: ${counts[s]}`).join(' · '), '');
  if (findings.length === 0) {
    out.push('No findings.', '');
    return out.join('\n');
  }
  out.push('| severity | kind | endpoint | finding | requests |', '| --- | --- | --- | --- | ---: |');
  for (const f of findings) {
    out.push(`| ${SEVERITY_OR_UNKNOWN(f.severity)} | ${escapeMarkdown(f.kind)} | ${markdownCode(`${f.method} ${endpointOf(f)}`, true)} | ${escapeMarkdown(f.title)} | ${requestsOf(f)} |`);
  }
  out.push('');
  for (const f of findings) {
    out.push(`## ${escapeMarkdown(`${SEVERITY_OR_UNKNOWN(f.severity)} ${f.kind}: ${f.title}`)}`, '');
    out.push(`- endpoint: ${markdownCode(`${f.method} ${endpointOf(f)}`)}`);
    if (f.operationId !== null) out.push(`- operation: ${markdownCode(f.operationId)}`);
    out.push(`- seen: ${escapeMarkdown(`${isoTime(f.firstSeen)} to ${isoTime(f.lastSeen)}`)}`);
    out.push(`- id: ${markdownCode(f.id)}`, '', escapeMarkdown(f.detail), '');
    // A fenced block shows its content literally (CommonMark §4.5); the
    // fence is longer than any backtick run inside, so it cannot be closed early.
    const json = escapeUnsafeLines(evidenceJson(f.evidence));
    let longest = 2;
    for (const run of json.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
    const fence = '`'.repeat(longest + 1);
    out.push(`${fence}json`, json, fence, '');
  }
  return out.join('\n');
}

// ---------------------------------------------------------------------------
// HTML

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#1b1f24;background:#fff}
h1{font-size:1.4rem}table{border-collapse:collapse;width:100%;margin:1rem 0}
th,td{border-bottom:1px solid #d8dee4;padding:.35rem .5rem;text-align:left;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums}code,pre{font:12px/1.4 ui-monospace,monospace}
pre{background:#f6f8fa;padding:.75rem;overflow:auto;white-space:pre-wrap;word-break:break-all}
.sev{display:inline-block;min-width:4.5rem;padding:0 .4rem;border-radius:.25rem;color:#fff;font-weight:600;text-align:center}
.critical{background:#a40e26}.high{background:#d1242f}.medium{background:#bc4c00}.low{background:#4d2d00}.info{background:#59636e}.unknown{background:#000}
details{border:1px solid #d8dee4;border-radius:.4rem;margin:.5rem 0;padding:.4rem .75rem}summary{cursor:pointer}
`.trim();

/**
 * One HTML page with no external asset and no script: styles inline, and a
 * Content-Security-Policy that forbids everything else, so that even a
 * missed escape could not load or run anything (defence in depth; every
 * value is escaped regardless). `<details>` folds the evidence without JS.
 */
export function renderHtml(findings: readonly Finding[], options: ReportOptions = {}): string {
  const title = escapeHtml(options.title ?? 'apiwarden findings');
  const counts = countBySeverity(findings);
  const rows = findings.map((f) => {
    const sev = SEVERITY_OR_UNKNOWN(f.severity);
    return `<tr><td><span class="sev ${sev}">${sev}</span></td><td>${escapeHtml(f.kind)}</td>`
      + `<td><code>${escapeHtml(`${f.method} ${endpointOf(f)}`)}</code></td>`
      + `<td><a href="#${escapeHtml(f.id)}">${escapeHtml(f.title)}</a></td><td class="n">${requestsOf(f)}</td></tr>`;
  });
  const sections = findings.map((f) => {
    const sev = SEVERITY_OR_UNKNOWN(f.severity);
    return `<details id="${escapeHtml(f.id)}"><summary><span class="sev ${sev}">${sev}</span> ${escapeHtml(f.kind)}: ${escapeHtml(f.title)}</summary>`
      + `<p><code>${escapeHtml(`${f.method} ${endpointOf(f)}`)}</code>`
      + (f.operationId === null ? '' : ` · operation <code>${escapeHtml(f.operationId)}</code>`)
      + ` · seen ${escapeHtml(isoTime(f.firstSeen))} to ${escapeHtml(isoTime(f.lastSeen))}</p>`
      + `<p>${escapeHtml(f.detail)}</p><pre>${escapeHtmlLines(evidenceJson(f.evidence))}</pre></details>`;
  });
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; form-action 'none'; base-uri 'none'">`,
    '<meta name="referrer" content="no-referrer">',
    `<meta name="viewport" content="width=device-width,initial-scale=1"><title>${title}</title><style>${STYLE}</style></head><body>`,
    `<h1>${title}</h1>`,
    options.generatedAt === undefined ? '' : `<p>Generated ${escapeHtml(isoTime(options.generatedAt))}.</p>`,
    `<p>${SEVERITIES.map((s) => `<span class="sev ${s}">${s} ${counts[s]}</span>`).join(' ')}</p>`,
    findings.length === 0
      ? '<p>No findings.</p>'
      : `<table><thead><tr><th>severity</th><th>kind</th><th>endpoint</th><th>finding</th><th>requests</th></tr></thead><tbody>${rows.join('')}</tbody></table>${sections.join('\n')}`,
    '</body></html>',
    '',
  ].join('\n');
}
