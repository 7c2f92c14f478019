import type { RequestClass } from '../events/types.ts';
import type { EndpointRecord } from '../store/types.ts';

export interface FormatInventoryOptions {
  /** colour the CLASS column with ANSI escapes (the caller decides: TTY, NO_COLOR) */
  color?: boolean;
}

const CLASS_ORDER: readonly RequestClass[] = ['documented', 'shadow', 'zombie', 'unknown', 'rejected'];

// green, yellow, magenta, cyan, red: the classes that need a look stand out
const CLASS_COLOR: Record<RequestClass, string> = {
  documented: '\x1b[32m',
  shadow: '\x1b[33m',
  zombie: '\x1b[35m',
  unknown: '\x1b[36m',
  rejected: '\x1b[31m',
};
const RESET = '\x1b[0m';
const BOLD = '\x1b[1m';

/** Shadow paths are attacker-chosen: a 2 KB path must not wreck the table. */
const MAX_ENDPOINT_WIDTH = 80;
const MAX_OPERATION_WIDTH = 40;

/**
 * Templates, hosts and methods of shadow and unknown endpoints come from the
 * wire. Printed raw, an ANSI escape sequence in a path could rewrite the
 * operator's terminal (hide rows, fake output) and a bidi override could make
 * a path read differently from what it is. Control characters (C0, DEL, C1)
 * and bidi/zero-width format characters are shown as escapes instead.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

function escapeUnsafe(text: string): string {
  return text.replace(UNSAFE, (ch) => {
    const code = ch.codePointAt(0) ?? 0;
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** Width in code points: good for ASCII and most scripts; wide CJK glyphs will misalign slightly. */
function width(text: string): number {
  let n = 0;
  for (const _ of text) n += 1;
  return n;
}

function truncate(text: string, max: number): string {
  if (width(text) <= max) return text;
  return [...text].slice(0, max - 1).join('') + '…';
}

function minute(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  const date = new Date(ms);
  // ISO 8601 at minute precision, UTC, with a space for readability
  // (RFC 3339 §5.6 allows it): sortable and the same in every time zone
  return Number.isNaN(date.getTime()) ? '-' : date.toISOString().slice(0, 16).replace('T', ' ');
}

/** host + template; a space before the placeholders '(other)' and '(malformed)' */
function endpointOf(r: EndpointRecord): string {
  if (r.host === '') return r.template;
  return r.template.startsWith('/') ? r.host + r.template : `${r.host} ${r.template}`;
}

interface Column {
  title: string;
  isNumeric: boolean;
  cell: (record: EndpointRecord) => string;
}

const COLUMNS: readonly Column[] = [
  { title: 'CLASS', isNumeric: false, cell: (r) => escapeUnsafe(r.class) },
  { title: 'METHOD', isNumeric: false, cell: (r) => escapeUnsafe(r.method) },
  {
    title: 'ENDPOINT',
    isNumeric: false,
    cell: (r) => truncate(escapeUnsafe(endpointOf(r)), MAX_ENDPOINT_WIDTH),
  },
  { title: 'OPERATION', isNumeric: false, cell: (r) => truncate(escapeUnsafe(r.operationId ?? '-'), MAX_OPERATION_WIDTH) },
  { title: 'TOTAL', isNumeric: true, cell: (r) => String(r.total) },
  { title: '2xx', isNumeric: true, cell: (r) => String(r.status2xx) },
  { title: '3xx', isNumeric: true, cell: (r) => String(r.status3xx) },
  { title: '4xx', isNumeric: true, cell: (r) => String(r.status4xx) },
  { title: '5xx', isNumeric: true, cell: (r) => String(r.status5xx) },
  { title: 'FIRST SEEN', isNumeric: false, cell: (r) => minute(r.firstSeen) },
  { title: 'LAST SEEN', isNumeric: false, cell: (r) => minute(r.lastSeen) },
];

/** "12 endpoints: 7 documented, 3 shadow, 2 zombie" (classes with none are left out) */
function summary(records: readonly EndpointRecord[]): string {
  const counts = new Map<string, number>();
  for (const record of records) counts.set(record.class, (counts.get(record.class) ?? 0) + 1);
  const parts = CLASS_ORDER.filter((c) => counts.has(c)).map((c) => `${counts.get(c)} ${c}`);
  const noun = records.length === 1 ? 'endpoint' : 'endpoints';
  return `${records.length} ${noun}: ${parts.join(', ')}`;
}

/**
 * The `apiwarden inventory` table: one aligned row per endpoint, in the
 * order given (the store's: busiest first), then a summary line. No
 * trailing newline.
 */
export function formatInventory(records: readonly EndpointRecord[], options: FormatInventoryOptions = {}): string {
  if (records.length === 0) return 'no endpoints recorded yet';
  const isColor = options.color === true;
  const rows = records.map((record) => COLUMNS.map((column) => column.cell(record)));
  const widths = COLUMNS.map((column, i) => Math.max(width(column.title), ...rows.map((row) => width(row[i] ?? ''))));

  // Padding is computed on the plain text, then colour wraps it, so escapes
  // never count towards the width.
  const line = (cells: readonly string[], paint?: (cell: string, i: number) => string): string =>
    cells
      .map((cell, i) => {
        // the last column is not padded: no trailing blanks, even inside colour
        const pad = i === cells.length - 1 && !COLUMNS[i]?.isNumeric ? '' : ' '.repeat((widths[i] ?? 0) - width(cell));
        const padded = COLUMNS[i]?.isNumeric ? pad + cell : cell + pad;
        return paint ? paint(padded, i) : padded;
      })
      .join('  ');

  const header = line(COLUMNS.map((c) => c.title), isColor ? (cell) => `${BOLD}${cell}${RESET}` : undefined);
  const body = rows.map((cells, r) => {
    const requestClass = records[r]?.class;
    const color = requestClass === undefined ? undefined : CLASS_COLOR[requestClass];
    return line(cells, isColor && color ? (cell, i) => (i === 0 ? `${color}${cell}${RESET}` : cell) : undefined);
  });
  return [header, ...body, '', summary(records)].join('\n');
}
