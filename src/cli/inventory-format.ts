import type { EndpointRecord } from '../store/types.ts';

const CLASS_COLOUR: Record<string, string> = {
  documented: '\x1b[32m',
  shadow: '\x1b[31m',
  zombie: '\x1b[33m',
  unknown: '\x1b[35m',
  rejected: '\x1b[90m',
};

function minute(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 16).replace('T', ' ');
}

/** The inventory as an aligned text table, followed by a one-line summary per class. */
export function formatInventory(records: readonly EndpointRecord[], options: { color?: boolean } = {}): string {
  if (records.length === 0) return 'no endpoints recorded yet';
  const header = ['CLASS', 'METHOD', 'ENDPOINT', 'OPERATION', 'TOTAL', '2xx', '3xx', '4xx', '5xx', 'FIRST SEEN', 'LAST SEEN'];
  const rows = records.map((r) => [
    r.class,
    r.method,
    // '(malformed)' and '(other)' are placeholders, not paths: keep them apart from the host
    r.host === '' ? r.template : r.template.startsWith('/') ? r.host + r.template : `${r.host} ${r.template}`,
    r.operationId ?? '-',
    String(r.total),
    String(r.status2xx),
    String(r.status3xx),
    String(r.status4xx),
    String(r.status5xx),
    minute(r.firstSeen),
    minute(r.lastSeen),
  ]);
  const numeric = new Set([4, 5, 6, 7, 8]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[], colour?: string): string => {
    const text = cells.map((c, i) => (numeric.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
    return colour && options.color ? `${colour}${text}\x1b[0m` : text;
  };
  const counts = new Map<string, number>();
  for (const r of records) counts.set(r.class, (counts.get(r.class) ?? 0) + 1);
  const order = ['documented', 'shadow', 'zombie', 'unknown', 'rejected'].filter((c) => counts.has(c));
  const summary = `${records.length} endpoint${records.length === 1 ? '' : 's'}: ${order.map((c) => `${counts.get(c)} ${c}`).join(', ')}`;
  return [line(header), ...rows.map((r) => line(r, CLASS_COLOUR[r[0]!])), '', summary].join('\n');
}
