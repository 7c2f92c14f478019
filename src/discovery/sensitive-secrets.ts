/**
 * Secrets recognisable by their own form: API keys whose issuers give them a
 * fixed prefix (so that leaked ones can be found by scanners, as GitHub's
 * secret scanning does), PEM private keys, and, when the field name says
 * key, secret or token, long random-looking strings.
 *
 * The prefixes are rules as data, compiled once into a table indexed by
 * first character; a string is checked against the few rules that share its
 * first character, with a character loop and no regular expression.
 */

type Charset = 'alnum' | 'alnum_' | 'base64url' | 'upper-alnum';

export interface SecretRule {
  /** a stable name for evidence ('stripe-secret-key') */
  id: string;
  prefixes: readonly string[];
  /** characters allowed after the prefix */
  charset: Charset;
  /** length bounds of the part after the prefix */
  min: number;
  max: number;
}

export const SECRET_RULES: readonly SecretRule[] = [
  // Stripe: secret and restricted keys (publishable pk_ keys are public by design)
  { id: 'stripe-secret-key', prefixes: ['sk_live_', 'sk_test_', 'rk_live_', 'rk_test_'], charset: 'alnum', min: 16, max: 247 },
  { id: 'stripe-webhook-secret', prefixes: ['whsec_'], charset: 'alnum', min: 24, max: 128 },
  // GitHub: classic and OAuth / app tokens ("Behind GitHub's new authentication token formats", 2021)
  { id: 'github-token', prefixes: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_'], charset: 'alnum', min: 36, max: 251 },
  { id: 'github-fine-grained-token', prefixes: ['github_pat_'], charset: 'alnum_', min: 40, max: 244 },
  { id: 'gitlab-token', prefixes: ['glpat-'], charset: 'base64url', min: 20, max: 64 },
  { id: 'npm-token', prefixes: ['npm_'], charset: 'alnum', min: 36, max: 36 },
  // Slack: bot, app-level user, user, refresh tokens (xox[abpr]-)
  { id: 'slack-token', prefixes: ['xoxa-', 'xoxb-', 'xoxp-', 'xoxr-'], charset: 'base64url', min: 10, max: 255 },
  // AWS access key ids: AKIA (long-term) and ASIA (STS), 20 characters in all
  { id: 'aws-access-key-id', prefixes: ['AKIA', 'ASIA'], charset: 'upper-alnum', min: 16, max: 16 },
  // Google API keys: "AIza" and 35 more characters
  { id: 'google-api-key', prefixes: ['AIza'], charset: 'base64url', min: 35, max: 35 },
];

function charsetTable(charset: Charset): Uint8Array {
  const table = new Uint8Array(128);
  const set = (from: string, to: string) => {
    for (let c = from.charCodeAt(0); c <= to.charCodeAt(0); c++) table[c] = 1;
  };
  set('0', '9');
  set('A', 'Z');
  if (charset !== 'upper-alnum') set('a', 'z');
  if (charset === 'alnum_' || charset === 'base64url') table[95] = 1; // _
  if (charset === 'base64url') table[45] = 1; // -
  return table;
}

interface CompiledRule { rule: SecretRule; prefix: string; table: Uint8Array }

const BY_FIRST_CHAR: ReadonlyMap<string, readonly CompiledRule[]> = (() => {
  const tables = new Map<Charset, Uint8Array>();
  const index = new Map<string, CompiledRule[]>();
  for (const rule of SECRET_RULES) {
    let table = tables.get(rule.charset);
    if (!table) tables.set(rule.charset, table = charsetTable(rule.charset));
    for (const prefix of rule.prefixes) {
      const list = index.get(prefix[0]!) ?? [];
      list.push({ rule, prefix, table });
      index.set(prefix[0]!, list);
    }
  }
  return index;
})();

function allIn(value: string, from: number, table: Uint8Array): boolean {
  for (let i = from; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 128 || table[c] !== 1) return false;
  }
  return true;
}

/** The prefix rule a value matches, with the prefix it matched, or null. */
export function matchSecretPrefix(value: string): { rule: SecretRule; prefix: string } | null {
  const candidates = BY_FIRST_CHAR.get(value[0] ?? '');
  if (!candidates) return null;
  for (const { rule, prefix, table } of candidates) {
    const rest = value.length - prefix.length;
    if (rest < rule.min || rest > rule.max || !value.startsWith(prefix)) continue;
    if (allIn(value, prefix.length, table)) return { rule, prefix };
  }
  return null;
}

/** PEM armour of a private key (RFC 7468 §10 and §11; "RSA", "EC", "OPENSSH", "ENCRYPTED" variants) */
const PEM_PREFIX = '-----BEGIN ';

/** The PEM label if the value starts with the armour of a private key ('RSA PRIVATE KEY'), else null. */
export function pemPrivateKeyLabel(value: string): string | null {
  if (!value.startsWith(PEM_PREFIX)) return null;
  const end = value.indexOf('-----', PEM_PREFIX.length);
  // labels are short; a bound keeps the search constant on long values
  if (end < 0 || end > PEM_PREFIX.length + 40) return null;
  const label = value.slice(PEM_PREFIX.length, end);
  return label.endsWith('PRIVATE KEY') ? label : null;
}

/** Characters of opaque tokens: base64, base64url, hex, and the separators of composite tokens. */
function isTokenChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)
    || c === 43 || c === 45 || c === 46 || c === 47 || c === 61 || c === 95 || c === 126; // + - . / = _ ~
}

export const TOKEN_MIN_LENGTH = 16;
export const TOKEN_MAX_LENGTH = 4096;
/** bits per character below which a string repeats too much to be random (hex averages ~3.7, base62 ~4.5) */
const MIN_ENTROPY_BITS = 3;

/**
 * A string that looks like a random credential: 16+ token characters, at
 * least two of lower case, upper case and digits, and a Shannon entropy of
 * its characters of 3 bits or more. Placeholders ("your-api-key-here"),
 * words and masked values ("sk_live_********") fail.
 */
export function isHighEntropyToken(value: string): boolean {
  const n = value.length;
  if (n < TOKEN_MIN_LENGTH || n > TOKEN_MAX_LENGTH) return false;
  const counts = new Uint16Array(128);
  let lower = 0;
  let upper = 0;
  let digit = 0;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (!isTokenChar(c)) return false;
    counts[c]!++;
    if (c >= 97 && c <= 122) lower = 1;
    else if (c >= 65 && c <= 90) upper = 1;
    else if (c >= 48 && c <= 57) digit = 1;
  }
  if (lower + upper + digit < 2) return false;
  let entropy = 0;
  for (let c = 0; c < 128; c++) {
    const k = counts[c]!;
    if (k > 0) {
      const p = k / n;
      entropy -= p * Math.log2(p);
    }
  }
  return entropy >= MIN_ENTROPY_BITS;
}
