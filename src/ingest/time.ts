/**
 * Timestamps of access logs, parsed by hand into epoch milliseconds.
 * Date.parse would need the CLF time rewritten into another shape first, and
 * it accepts far more than these formats allow (so garbage would turn into
 * plausible dates); the arithmetic below is a few dozen integer operations.
 */

/** Days from 1970-01-01 to the given civil date (proleptic Gregorian; H. Hinnant's days_from_civil). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = month > 2 ? month - 3 : month + 9;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function digit(text: string, i: number): number {
  const d = text.charCodeAt(i) - 48;
  return d >= 0 && d <= 9 ? d : -1000;
}

function two(text: string, i: number): number {
  return digit(text, i) * 10 + digit(text, i + 1);
}

/** Month abbreviation (Jan..Dec, as strftime %b writes it) → 1..12, or 0. */
function monthOf(text: string, i: number): number {
  const key = (text.charCodeAt(i) << 16) | (text.charCodeAt(i + 1) << 8) | text.charCodeAt(i + 2);
  switch (key) {
    case 0x4a616e: return 1; // Jan
    case 0x466562: return 2; // Feb
    case 0x4d6172: return 3; // Mar
    case 0x417072: return 4; // Apr
    case 0x4d6179: return 5; // May
    case 0x4a756e: return 6; // Jun
    case 0x4a756c: return 7; // Jul
    case 0x417567: return 8; // Aug
    case 0x536570: return 9; // Sep
    case 0x4f6374: return 10; // Oct
    case 0x4e6f76: return 11; // Nov
    case 0x446563: return 12; // Dec
    default: return 0;
  }
}

const CLF_TIME_LENGTH = 26; // "10/Oct/2000:13:55:36 -0700"

/**
 * The CLF time `dd/Mon/yyyy:HH:MM:SS ±hhmm` (Apache %t, nginx $time_local)
 * starting at `start`, to epoch ms; NaN when it is not exactly that shape.
 */
// hot path: once per combined-log line
export function parseClfTime(text: string, start: number): number {
  if (text.length < start + CLF_TIME_LENGTH) return Number.NaN;
  const day = two(text, start);
  const month = monthOf(text, start + 3);
  const year = two(text, start + 7) * 100 + two(text, start + 9);
  const hour = two(text, start + 12);
  const minute = two(text, start + 15);
  const second = two(text, start + 18);
  const sign = text.charCodeAt(start + 21);
  const offsetHours = two(text, start + 22);
  const offsetMinutes = two(text, start + 24);
  if (
    text.charCodeAt(start + 2) !== 0x2f || text.charCodeAt(start + 6) !== 0x2f || text.charCodeAt(start + 11) !== 0x3a ||
    text.charCodeAt(start + 14) !== 0x3a || text.charCodeAt(start + 17) !== 0x3a || text.charCodeAt(start + 20) !== 0x20 ||
    (sign !== 0x2b && sign !== 0x2d) || month === 0 || day < 1 || day > 31 || year < 0 || hour < 0 || hour > 23 ||
    minute < 0 || minute > 59 || second < 0 || second > 60 || offsetHours < 0 || offsetHours > 23 || offsetMinutes < 0 || offsetMinutes > 59
  ) {
    return Number.NaN;
  }
  const offset = (offsetHours * 60 + offsetMinutes) * (sign === 0x2d ? -1 : 1);
  return ((clfDays(year, month, day) * 24 + hour) * 60 + minute - offset) * 60_000 + second * 1000;
}

/** daysFromCivil of the last CLF date: the lines of a log mostly share their day */
let lastYear = -1;
let lastMonth = -1;
let lastDay = -1;
let lastDays = 0;

function clfDays(year: number, month: number, day: number): number {
  if (day !== lastDay || month !== lastMonth || year !== lastYear) {
    lastDays = daysFromCivil(year, month, day);
    lastYear = year;
    lastMonth = month;
    lastDay = day;
  }
  return lastDays;
}

/**
 * RFC 3339 / ISO 8601 date-time as logs write it: `2018-07-02T22:23:00.186641Z`
 * (ALB, microseconds), `2016-04-15T20:17:00.310Z` (Envoy), `2024-05-01T10:00:00+02:00`
 * (nginx $time_iso8601), a space instead of 'T' and no zone (read as UTC) also
 * accepted. Fractions past milliseconds are truncated. NaN when malformed.
 */
export function parseIsoTime(text: string): number {
  const n = text.length;
  if (n < 19) return Number.NaN;
  const year = two(text, 0) * 100 + two(text, 2);
  const month = two(text, 5);
  const day = two(text, 8);
  const hour = two(text, 11);
  const minute = two(text, 14);
  const second = two(text, 17);
  const t = text.charCodeAt(10);
  if (
    text.charCodeAt(4) !== 0x2d || text.charCodeAt(7) !== 0x2d || (t !== 0x54 && t !== 0x74 && t !== 0x20) ||
    text.charCodeAt(13) !== 0x3a || text.charCodeAt(16) !== 0x3a || year < 0 || month < 1 || month > 12 ||
    day < 1 || day > 31 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60
  ) {
    return Number.NaN;
  }
  let i = 19;
  let ms = 0;
  if (i < n && (text.charCodeAt(i) === 0x2e || text.charCodeAt(i) === 0x2c)) {
    i++;
    let scale = 100;
    const fractionStart = i;
    while (i < n && digit(text, i) >= 0) {
      ms += digit(text, i) * scale;
      scale /= 10;
      i++;
    }
    if (i === fractionStart) return Number.NaN;
    ms = Math.floor(ms);
  }
  let offset = 0;
  if (i < n) {
    const z = text.charCodeAt(i);
    if ((z === 0x5a || z === 0x7a) && i + 1 === n) {
      offset = 0;
    } else if (z === 0x2b || z === 0x2d) {
      // ±hh:mm, ±hhmm or ±hh
      const rest = n - i - 1;
      const oh = two(text, i + 1);
      let om = 0;
      if (rest === 5 && text.charCodeAt(i + 3) === 0x3a) om = two(text, i + 4);
      else if (rest === 4) om = two(text, i + 3);
      else if (rest !== 2) return Number.NaN;
      if (oh < 0 || oh > 23 || om < 0 || om > 59) return Number.NaN;
      offset = (oh * 60 + om) * (z === 0x2d ? -1 : 1);
    } else {
      return Number.NaN;
    }
  }
  return ((daysFromCivil(year, month, day) * 24 + hour) * 60 + minute - offset) * 60_000 + second * 1000 + ms;
}

/**
 * A time value from a JSON log, whatever its shape: epoch seconds, ms, µs
 * or ns (as a number or a numeric string such as nginx's $msec
 * "1700000000.123"), an ISO 8601 string, a CLF string ($time_local), or
 * anything else Date.parse reads. NaN when nothing fits.
 */
export function parseAnyTime(value: unknown): number {
  if (typeof value === 'number') return epochFromNumber(value);
  if (typeof value !== 'string' || value === '') return Number.NaN;
  const c = value.charCodeAt(0);
  if (c >= 0x30 && c <= 0x39) {
    if (value.length >= 19 && value.charCodeAt(4) === 0x2d) {
      const iso = parseIsoTime(value);
      if (!Number.isNaN(iso)) return iso;
    }
    if (value.length === CLF_TIME_LENGTH && value.charCodeAt(2) === 0x2f) return parseClfTime(value, 0);
    if (/^[0-9]+(\.[0-9]+)?$/.test(value)) return epochFromNumber(Number(value));
  }
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? Number.NaN : parsed;
}

/** Epoch seconds, ms, µs or ns told apart by size (1e11 s is the year 5138; 1e11 ms is 1973). */
function epochFromNumber(value: number): number {
  if (!Number.isFinite(value) || value < 0) return Number.NaN;
  if (value < 1e11) return Math.round(value * 1000);
  if (value < 1e14) return Math.round(value);
  if (value < 1e17) return Math.round(value / 1000);
  return Math.round(value / 1e6);
}
