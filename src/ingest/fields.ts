/**
 * Space-separated fields with double-quoted fields inside, as Envoy's
 * default format and AWS ALB logs write them:
 *
 *   204 - 154 0 226 100 "10.0.35.28" "nsq2http" "cc21d9b0-…" "locations"
 *
 * Quotes are dropped. A quoted field ends at a quote followed by a space
 * or the end of the line (neither format escapes quotes inside fields, so a
 * stray quote inside a user agent does not end it). Null when a quoted field
 * is not closed.
 */
export function splitFields(line: string, start: number): string[] | null {
  const fields: string[] = [];
  let i = start;
  const n = line.length;
  while (i < n) {
    if (line.charCodeAt(i) === 0x20) {
      i++;
      continue;
    }
    if (line.charCodeAt(i) === 0x22) {
      let q = line.indexOf('"', i + 1);
      while (q !== -1 && q + 1 < n && line.charCodeAt(q + 1) !== 0x20) q = line.indexOf('"', q + 1);
      if (q === -1) return null;
      fields.push(line.slice(i + 1, q));
      i = q + 1;
    } else {
      let end = line.indexOf(' ', i);
      if (end === -1) end = n;
      fields.push(line.slice(i, end));
      i = end;
    }
  }
  return fields;
}

/** A decimal integer field → number; '-' and anything else → null. */
export function intField(value: string | undefined): number | null {
  if (value === undefined || !/^[0-9]{1,15}$/.test(value)) return null;
  return Number(value);
}

/** A decimal field (may have a fraction or be negative) → number, or null. */
export function decimalField(value: string | undefined): number | null {
  if (value === undefined || !/^-?[0-9]{1,15}(\.[0-9]+)?$/.test(value)) return null;
  return Number(value);
}

/** '-' and '' → null */
export function textField(value: string | undefined): string | null {
  return value === undefined || value === '' || value === '-' ? null : value;
}

/** An HTTP status as logs hold it: an integer of at most three digits (0 when none was sent). */
export function isStatus(value: number | null): value is number {
  return value !== null && Number.isInteger(value) && value >= 0 && value <= 999;
}
