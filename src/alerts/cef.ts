/**
 * ArcSight Common Event Format (CEF) rev 25:
 *
 *   CEF:0|Device Vendor|Device Product|Device Version|Device Event Class ID|Name|Severity|Extension
 *
 * Escaping differs by part: in the header, backslash and pipe are escaped
 * (`\\`, `\|`) and a line break has no escape (it is replaced by a space); in
 * extension values, backslash and equals sign are escaped (`\\`, `\=`) and
 * line breaks become `\n` / `\r`. A pipe needs no escape in the extension.
 * Getting this wrong lets an attacker-chosen request target forge extension
 * fields (`… act=allowed`) in the SIEM.
 *
 * The extension is built in priority order and cut at whole key=value pairs
 * when the message must fit a size (a syslog datagram).
 */
import { describe, identitiesLine, countsLine } from './render.ts';
import type { Notification, Severity } from './types.ts';

/** CEF severity 0-10 (0-3 low, 4-6 medium, 7-8 high, 9-10 very high). */
export const CEF_SEVERITY: Record<Severity, number> = { critical: 10, high: 8, medium: 5, low: 3, info: 1 };
const NAME_MAX = 512;
/** the ArcSight limit for msg */
const MSG_MAX = 1023;

export function escapeCefHeader(text: string): string {
  return text.replace(/[\\|]/g, (c) => `\\${c}`).replace(/\r\n|[\r\n]/g, ' ');
}

export function escapeCefValue(text: string): string {
  return text.replace(/[\\=]/g, (c) => `\\${c}`).replace(/\r\n|\n/g, '\\n').replace(/\r/g, '\\r');
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export interface CefOptions {
  version: string;
  /** the whole CEF string at most this many UTF-8 bytes (default: no limit) */
  maxBytes?: number;
}

/** key=value pairs in priority order; a label and its value are one unit. */
function extensionOf(n: Notification): Array<Array<[string, string]>> {
  if (n.kind === 'digest') {
    return [
      [['rt', String(n.time)]],
      [['act', 'digest']],
      [['cnt', String(n.suppressed)]],
      [['start', String(n.windowStart)]],
      [['msg', clip(describe(n), MSG_MAX)]],
      [['cs2Label', 'byRule'], ['cs2', Object.entries(n.byRule).map(([r, c]) => `${r}=${c}`).join(', ')]],
    ];
  }
  const a = n.alert;
  const pairs: Array<Array<[string, string]>> = [
    [['rt', String(n.time)]],
    [['act', n.kind]],
    [['externalId', a.fingerprint]],
    [['cnt', String(a.count)]],
    [['start', String(a.startsAt)]],
  ];
  if (a.endsAt !== null) pairs.push([['end', String(a.endsAt)]]);
  pairs.push([['cat', 'apiwarden-alert']], [['msg', clip(a.summary, MSG_MAX)]]);
  if (a.evidence.topIdentities.length > 0) pairs.push([['cs1Label', 'topIdentities'], ['cs1', identitiesLine(a.evidence)]]);
  const labels = Object.entries(a.labels).map(([k, v]) => `${k}=${v}`).join(', ');
  if (labels) pairs.push([['cs2Label', 'labels'], ['cs2', labels]]);
  if (Object.keys(a.evidence.counts).length > 0) pairs.push([['cs3Label', 'counts'], ['cs3', countsLine(a.evidence)]]);
  const by = a.resolvedBy ?? a.acknowledgedBy;
  if (by !== null) pairs.push([['cs4Label', n.kind === 'resolved' ? 'resolvedBy' : 'acknowledgedBy'], ['cs4', by]]);
  const example = a.evidence.exampleRequests[0];
  if (example) pairs.push([['requestMethod', example.method], ['request', example.target]]);
  return pairs;
}

export function formatCef(n: Notification, options: CefOptions): string {
  const severity = n.kind === 'digest' ? n.severity : n.alert.severity;
  const classId = n.kind === 'digest' ? 'notification-storm' : n.alert.rule;
  const name = n.kind === 'digest' ? `${n.suppressed} alert notifications suppressed` : n.kind === 'firing' ? n.alert.summary : `${n.kind}: ${n.alert.summary}`;
  const max = options.maxBytes ?? Number.POSITIVE_INFINITY;
  const headerOf = (title: string) =>
    ['CEF:0', 'apiwarden', 'apiwarden', options.version, classId, title, String(CEF_SEVERITY[severity])]
      .map((part, i) => (i === 0 ? part : escapeCefHeader(part)))
      .join('|');
  let title = clip(name, NAME_MAX);
  let header = headerOf(title);
  // a long multi-byte name can overflow the budget alone: shorten it (by at least the overflow, as every character is a byte or more)
  for (let over = Buffer.byteLength(header) + 1 - max; over > 0 && title.length > 1; over = Buffer.byteLength(header) + 1 - max) {
    title = `${title.slice(0, Math.max(0, title.length - over - 1))}…`;
    header = headerOf(title);
  }
  let text = `${header}|`;
  let bytes = Buffer.byteLength(text);
  let separator = '';
  for (const unit of extensionOf(n)) {
    const piece = separator + unit.map(([k, v]) => `${k}=${escapeCefValue(v)}`).join(' ');
    const size = Buffer.byteLength(piece);
    if (bytes + size > max) continue; // a smaller, later unit may still fit
    text += piece;
    bytes += size;
    separator = ' ';
  }
  return text;
}
