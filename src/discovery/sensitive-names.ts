/**
 * What a field name says about its value. The audit's name table
 * (src/audit/sensitive.ts) is the base, so that a spec and traffic agree on
 * which names are sensitive; this module refines its coarse kinds (contact →
 * phone or email) and adds the names that matter only for values: names
 * ending in "key" or "token" (a random string there is a credential), names
 * of passwords (any value there is one), and names of identifiers (an
 * unseparated digit string there is an id, not a card number).
 */
import { classifyName, normaliseName } from '../audit/sensitive.ts';

export type NameHint = 'phone' | 'email' | 'national-id' | 'birth-date' | 'password' | 'secret' | 'card' | 'id';

/** a password hash ("password_digest", Rails) leaks as badly as the password: it can be cracked offline */
const PASSWORD_SUFFIXES = ['password', 'passwd', 'passphrase', 'passwordhash', 'passworddigest'];
const EXTRA_EXACT: ReadonlyMap<string, NameHint> = new Map([
  ...['tel', 'fax', 'cell', 'contactnumber', 'phoneno', 'mobileno', 'telno'].map((n) => [n, 'phone'] as const),
  ...['mail', 'emailaddr'].map((n) => [n, 'email'] as const),
  ...['nino', 'nin', 'dni', 'nie', 'nif', 'socialsecurity', 'nationalinsurancenumber'].map((n) => [n, 'national-id'] as const),
  ...['pwd'].map((n) => [n, 'password'] as const),
  ...['authorization', 'credential', 'credentials', 'apikey', 'key'].map((n) => [n, 'secret'] as const),
]);
/** Names that end like a credential but hold public keys, cursors or bookkeeping ids. */
const NOT_SECRET = /(idempoten|public|publishable|cache|partition|sort|primary|foreign|routing|dedup|object|row|hash|range|page|cursor|continuation|next|prev|sync)/;

function hintOfNormalised(n: string): NameHint | null {
  if (PASSWORD_SUFFIXES.some((s) => n.endsWith(s))) return 'password';
  const extra = EXTRA_EXACT.get(n);
  if (extra) return extra === 'secret' && NOT_SECRET.test(n) ? null : extra;
  switch (classifyName(n)) {
    case 'contact': return n.includes('mail') ? 'email' : 'phone';
    case 'government-id': return 'national-id';
    case 'birth-date': return 'birth-date';
    case 'credential': return 'secret';
    case 'financial': return n.includes('card') || n === 'pan' ? 'card' : null;
    default: break;
  }
  if ((n.endsWith('key') || n.endsWith('token') || n.endsWith('secret')) && !NOT_SECRET.test(n)) return 'secret';
  if (n.endsWith('id') || n.endsWith('uuid') || n.endsWith('guid') || n.endsWith('ref')) return 'id';
  return null;
}

const MAX_CACHED = 4096;
const cache = new Map<string, NameHint | null>();

/** What the name of a field says about its value, or null when it says nothing. */
export function nameHint(name: string): NameHint | null {
  // hot path: the same few field names recur in every body
  const cached = cache.get(name);
  if (cached !== undefined) return cached;
  const n = normaliseName(name);
  let hint = hintOfNormalised(n);
  // plural names hold lists of the same thing: "emails", "phoneNumbers"
  if (hint === null && n.length > 3 && n.endsWith('s')) hint = hintOfNormalised(n.slice(0, -1));
  if (cache.size >= MAX_CACHED) cache.clear();
  cache.set(name, hint);
  return hint;
}
