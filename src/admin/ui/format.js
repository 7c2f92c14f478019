// @ts-check
/**
 * Number, size and time formatting for the console: short, readable, and
 * the same everywhere (1.2k, 3.4 MB, "3 min ago").
 */

/** @param {number | null | undefined} n */
export function count(n) {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  const a = Math.abs(n);
  if (a < 1000) return String(Math.round(n));
  /** @type {[number, string][]} */
  const units = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
  for (const [size, suffix] of units) {
    if (a >= size) {
      const v = n / size;
      return `${Math.abs(v) < 10 ? trim(v.toFixed(1)) : Math.round(v)}${suffix}`;
    }
  }
  return String(n);
}

/** @param {string} s */
function trim(s) {
  return s.endsWith('.0') ? s.slice(0, -2) : s;
}

/**
 * An exact count with thousands separators, for tooltips.
 * @param {number | null | undefined} n
 */
export function exact(n) {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  return new Intl.NumberFormat('en-US').format(n);
}

/** @param {number | null | undefined} n */
export function bytes(n) {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  if (n < 1000) return `${Math.round(n)} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n;
  let unit = 'B';
  for (const u of units) {
    if (v < 1000) break;
    v /= 1000;
    unit = u;
  }
  return `${v < 10 ? trim(v.toFixed(1)) : Math.round(v)} ${unit}`;
}

/** @param {number | null | undefined} ms */
export function millis(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms < 1) return '<1 ms';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${trim((ms / 1000).toFixed(ms < 10_000 ? 1 : 0))} s`;
}

/**
 * A length of time: "45 s", "10 min", "2 h 5 min", "3 d".
 * @param {number} ms
 */
export function duration(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  const hours = Math.floor(m / 60);
  if (hours < 24) return m % 60 === 0 ? `${hours} h` : `${hours} h ${m % 60} min`;
  const d = Math.floor(hours / 24);
  return hours % 24 === 0 ? `${d} d` : `${d} d ${hours % 24} h`;
}

/**
 * "just now", "12 s ago", "3 min ago", "in 5 min".
 * @param {number | null | undefined} t epoch ms
 * @param {number} [now]
 */
export function ago(t, now = Date.now()) {
  if (t === null || t === undefined || !Number.isFinite(t) || t <= 0) return 'never';
  const diff = now - t;
  if (Math.abs(diff) < 5000) return 'just now';
  return diff > 0 ? `${roughly(diff)} ago` : `in ${roughly(-diff)}`;
}

/**
 * A length of time to one unit: "12 s", "3 min", "2 h", "4 d".
 * @param {number} ms
 */
export function roughly(ms) {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const hours = Math.floor(m / 60);
  if (hours < 48) return `${hours} h`;
  return `${Math.floor(hours / 24)} d`;
}

/**
 * A clock time, with the date when it is not today.
 * @param {number | null | undefined} t epoch ms
 */
export function time(t) {
  if (t === null || t === undefined || !Number.isFinite(t) || t <= 0) return '–';
  const d = new Date(t);
  const today = new Date();
  const hm = d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
  if (d.toDateString() === today.toDateString()) return hm;
  return `${d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })} ${hm}`;
}

/** @param {number | null | undefined} t */
export function fullTime(t) {
  if (t === null || t === undefined || !Number.isFinite(t) || t <= 0) return '';
  return new Date(t).toISOString();
}

/** @param {number} minute epoch ms */
export function clock(minute) {
  return new Date(minute).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', hour12: false });
}

/** @param {number} part @param {number} whole */
export function percent(part, whole) {
  if (!whole) return '0 %';
  const p = (100 * part) / whole;
  return `${p < 10 && p > 0 ? trim(p.toFixed(1)) : Math.round(p)} %`;
}
