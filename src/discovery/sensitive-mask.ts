/**
 * Masks a classified value for evidence. Findings are shown in a dashboard
 * and stored; what they keep must let an operator recognise the kind of
 * data and tell two values apart in a conversation with the data owner,
 * and no more: the conventions of each domain (PCI DSS 3.4: at most the
 * first six and last four digits of a card; the last four of an SSN or an
 * account; the domain of an address) with fewer digits kept where that
 * costs nothing.
 */
import type { DataClass } from './data-classes.ts';
import { phoneDigits } from './sensitive-phone.ts';
import { matchSecretPrefix, pemPrivateKeyLabel } from './sensitive-secrets.ts';

const DOTS = '•••';

function alnumOnly(value: string): string {
  return value.replace(/[^0-9A-Za-z]/g, '');
}

/** "4111 •••• •••• 1111": the first and last four, the middle as groups of dots. */
function maskGrouped(compact: string): string {
  if (compact.length <= 8) return DOTS;
  const middle = compact.length - 8;
  const groups: string[] = [];
  for (let left = middle; left > 0; left -= 4) groups.push('•'.repeat(Math.min(4, left)));
  return `${compact.slice(0, 4)} ${groups.join(' ')} ${compact.slice(-4)}`;
}

/**
 * "+1415•••2671": the digits of a phone number with at least three hidden
 * and at most the first four (country and area code) and the last four kept.
 */
function maskPhone(value: string): string {
  const all = phoneDigits(value);
  const plus = all.startsWith('+') ? '+' : '';
  const digits = plus ? all.slice(1) : all;
  const keepEnd = digits.length >= 10 ? 4 : 2;
  const keepStart = Math.max(0, Math.min(4, digits.length - keepEnd - 3));
  return `${plus}${digits.slice(0, keepStart)}${DOTS}${digits.slice(-keepEnd)}`;
}

/** "j•••@example.com": the first character of the local part, and the domain. */
function maskEmail(value: string): string {
  const at = value.lastIndexOf('@');
  if (at < 1) return DOTS;
  return `${value[0]}${DOTS}${value.slice(at)}`;
}

/** "•••-••-1120" for an SSN (the last four, as the SSA's own notices show); the last two of others. */
function maskNationalId(value: string): string {
  const keep = /^\d{3}[- ]\d{2}[- ]\d{4}$/.test(value) || /^\d{9}$/.test(value) ? 4 : 2;
  let kept = 0;
  let out = '';
  for (let i = value.length - 1; i >= 0; i--) {
    const c = value[i]!;
    const alnum = /[0-9A-Za-z]/.test(c);
    out = (alnum && kept >= keep ? '•' : c) + out;
    if (alnum) kept++;
  }
  return out;
}

/** "203.0.113.•••" (the last octet, as address anonymisation does) or the first three groups of IPv6 (a /48). */
function maskIp(value: string): string {
  if (!value.includes(':')) {
    const dot = value.lastIndexOf('.');
    return `${value.slice(0, dot + 1)}${DOTS}`;
  }
  const groups = value.split(':');
  const head: string[] = [];
  for (const g of groups) {
    if (g === '' || head.length === 3) break;
    head.push(g);
  }
  return `${head.join(':')}:${DOTS}`;
}

/** "sk_live_•••" for a prefixed key; "-----BEGIN RSA PRIVATE KEY-----•••"; a fixed mask otherwise (not even its length). */
function maskSecret(value: string): string {
  const prefixed = matchSecretPrefix(value);
  if (prefixed) return `${prefixed.prefix}${DOTS}`;
  const pem = pemPrivateKeyLabel(value);
  if (pem) return `-----BEGIN ${pem}-----${DOTS}`;
  return '••••••••';
}

/** "eyJhbGciOi•••": the start of the header, which holds only the algorithm and key id. */
function maskJwt(value: string): string {
  return `${value.slice(0, Math.min(10, value.indexOf('.')))}${DOTS}`;
}

/** "1990-••-••": the year alone (an age), in the value's own layout. */
function maskBirthDate(value: string): string {
  const year = /(?:^|\D)((?:18|19|20|21)\d\d)(?:\D|$)/.exec(value) ?? /^((?:18|19|20|21)\d\d)/.exec(value);
  return year ? `${year[1]}-••-••` : DOTS;
}

/** The evidence form of a value of the given class: enough to recognise it, not enough to use it. */
export function maskValue(cls: DataClass, value: string): string {
  switch (cls) {
    case 'phone': return maskPhone(value);
    case 'email': return maskEmail(value);
    case 'card': return maskGrouped(alnumOnly(value));
    case 'iban': return maskGrouped(alnumOnly(value));
    case 'national-id': return maskNationalId(value);
    case 'ip': return maskIp(value);
    case 'secret': return maskSecret(value);
    case 'jwt': return maskJwt(value);
    case 'birth-date': return maskBirthDate(value);
  }
}
