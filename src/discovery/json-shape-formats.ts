/**
 * The JSON Schema string formats that shape inference names (JSON Schema
 * 2020-12 Validation §7.3). The checks are ajv-formats' own "full" ones, so
 * that a schema built from samples is one that ajv accepts those samples
 * against; each is guarded by an O(1) filter so that most strings are
 * ruled out without running a regular expression.
 */
import { createRequire } from 'node:module';
import type AjvFormats from 'ajv-formats';

export const STRING_FORMATS = ['date-time', 'date', 'uuid', 'email', 'ipv4', 'ipv6', 'uri'] as const;
export type StringFormat = typeof STRING_FORMATS[number];

/** Longer strings get no format: a long URL is still a URI, but testing it costs more than it tells. */
export const MAX_FORMAT_LENGTH = 2048;

type FormatsPlugin = typeof AjvFormats.default;

/**
 * ajv-formats (and ajv under it, ~50 ms of start-up) is loaded on the first
 * string that passes a filter, not with the module: `apiwarden discover` on
 * an access log, which has no bodies, never needs it. It is CommonJS, and
 * its module.exports carries the plugin again as `.default` (as in
 * src/config/values.ts).
 */
let formats: FormatsPlugin | null = null;

function loadFormats(): FormatsPlugin {
  formats ??= (createRequire(import.meta.url)('ajv-formats') as { default: FormatsPlugin }).default;
  return formats;
}

/** the check of one format, resolved on its first call */
function formatTest(name: StringFormat): (s: string) => boolean {
  let test: ((s: string) => boolean) | null = null;
  return (s) => (test ??= resolveFormatTest(name))(s);
}

function resolveFormatTest(name: StringFormat): (s: string) => boolean {
  const format = loadFormats().get(name, 'full');
  if (format instanceof RegExp) return (s) => format.test(s);
  if (typeof format === 'function') return (s) => format(s) as boolean;
  if (typeof format === 'object' && format !== null && 'validate' in format) {
    const { validate } = format;
    if (validate instanceof RegExp) return (s) => validate.test(s);
    return (s) => (validate as (s: string) => boolean)(s);
  }
  throw new Error(`ajv-formats has no '${name}' format`);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

interface FormatCheck {
  /** O(1) filter on length and a few characters */
  mayBe: (s: string) => boolean;
  test: (s: string) => boolean;
}

const CHECKS: Readonly<Record<StringFormat, FormatCheck>> = {
  'date-time': {
    mayBe: (s) => s.length >= 20 && s.length <= 40 && s[4] === '-' && (s[10] === 'T' || s[10] === 't' || s[10] === ' '),
    test: formatTest('date-time'),
  },
  date: { mayBe: (s) => s.length === 10 && s[4] === '-' && s[7] === '-', test: formatTest('date') },
  uuid: { mayBe: (s) => (s.length === 36 || s.length === 45) && s[s.length - 13] === '-', test: formatTest('uuid') },
  email: { mayBe: (s) => s.length <= 254 && s.includes('@'), test: formatTest('email') },
  ipv4: { mayBe: (s) => s.length >= 7 && s.length <= 15 && isDigit(s.charCodeAt(0)) && isDigit(s.charCodeAt(s.length - 1)), test: formatTest('ipv4') },
  ipv6: { mayBe: (s) => s.length >= 2 && s.length <= 45 && s.includes(':'), test: formatTest('ipv6') },
  uri: { mayBe: (s) => s.length >= 3 && isLetter(s.charCodeAt(0)) && s.includes(':'), test: formatTest('uri') },
};

/** Every format the string satisfies, in STRING_FORMATS order ("fe80::1" is an ipv6 address and a URI). */
export function formatsOf(s: string): StringFormat[] {
  return keepFormats(STRING_FORMATS, s);
}

/** The formats of `current` that the string satisfies too: the formats every string at a position has. */
export function keepFormats(current: readonly StringFormat[], s: string): StringFormat[] {
  if (current.length === 0 || s.length > MAX_FORMAT_LENGTH) return [];
  const kept: StringFormat[] = [];
  for (const name of current) {
    const check = CHECKS[name];
    if (check.mayBe(s) && check.test(s)) kept.push(name);
  }
  return kept;
}

export function isStringFormat(value: string): value is StringFormat {
  return (STRING_FORMATS as readonly string[]).includes(value);
}
