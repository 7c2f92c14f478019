/** Small pieces of HTTP syntax shared by the header and client-address code. */

// RFC 9110 §5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
const IS_TCHAR = new Uint8Array(128);
for (const ch of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") IS_TCHAR[ch.charCodeAt(0)] = 1;

const PORT = /^[0-9]{1,5}$/;

/** RFC 9110 §5.6.2: token = 1*tchar */
export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f || IS_TCHAR[c] !== 1) return false;
  }
  return true;
}

/** RFC 3986 §3.2.3 port, bounded: 1 to 5 digits, at most 65535 (an empty port is refused). */
export function isPortText(s: string): boolean {
  return PORT.test(s) && Number(s) <= 65535;
}

/** RFC 9110 §5.6.3: OWS = *( SP / HTAB ). String#trim would also drop other Unicode spaces. */
export function trimOws(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isOws(s.charCodeAt(start))) start++;
  while (end > start && isOws(s.charCodeAt(end - 1))) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

export function skipOws(s: string, i: number): number {
  while (i < s.length && isOws(s.charCodeAt(i))) i++;
  return i;
}

export function isBlank(s: string): boolean {
  return skipOws(s, 0) === s.length;
}

function isOws(c: number): boolean {
  return c === 0x20 || c === 0x09;
}
