/**
 * Parameter values as real clients send them: each parameter has a finite
 * population of distinct values (customers, repositories, users), and a
 * request picks one Zipf-skewed (rank k with weight 1/(k+1)), because real
 * clients re-request the same hot objects. The population size is drawn
 * log-uniformly in 2,000..20,000 per parameter; kinds with a small natural
 * domain (an enum, countries, currencies) have just that domain.
 *
 * Populations are shared by every operation that has a parameter of the same
 * name and kind (`owner` in 500 GitHub operations is one population of user
 * names), and seeded from (seed, name, kind): every level and every peer of
 * a run sees the same objects. A name that says nothing of its object
 * (`{id}`, `{key}`, `{name}`) is one population per collection before it:
 * `/object/account/{id}` and `/object/invoice/{id}` draw from two disjoint
 * sets, as accounts and invoices are in a real API, not from one shared
 * set that makes every object type look alike.
 */

import type { SpecParameter } from './spec-operations.ts';
import { createRandom, createZipf, type Random } from './random.ts';
import { compilePattern } from './regex-sample.ts';
import { classifyParameter, isGenericName, kindLabel, type ValueKind } from './value-kinds.ts';
import { FILE_EXTENSIONS, FIRST_NAMES, LAST_NAMES, WORDS } from './words.ts';

const AWS_SERVICES = ['appfabric', 'iam', 's3', 'lambda', 'ecs', 'sns', 'sqs', 'kms', 'dynamodb', 'appmesh'];
const AWS_REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-southeast-2'];

export const POPULATION_MIN = 2_000;
export const POPULATION_MAX = 20_000;
/** Skew of the draws within a population (1 = classic Zipf). */
const VALUE_ZIPF_S = 1;
/** Values a kind may try before it is judged unable to satisfy the schema. */
const PROBE = 40;

export interface Population {
  /** a label such as `login` or `prefixed(cus_, 14)` */
  kind: string;
  values: string[];
  draw(random: Random): string;
}

export interface ValueSource {
  /**
   * A value for the parameter (`previousSegment`: the static segment before
   * it, or ''; `isAfterDot`: it follows a '.' inside its segment).
   */
  draw(param: SpecParameter, previousSegment: string, random: Random, isAfterDot?: boolean): string;
  /** the populations made so far, by parameter name and location */
  populations(): Array<{ name: string; location: SpecParameter['in']; population: Population }>;
}

export function createValueSource(seed: string): ValueSource {
  const byParam = new WeakMap<SpecParameter, Map<string, Population>>();
  const byKey = new Map<string, { name: string; location: SpecParameter['in']; population: Population }>();
  const populationFor = (param: SpecParameter, previousSegment: string, isAfterDot: boolean): Population => {
    let perContext = byParam.get(param);
    if (perContext === undefined) {
      perContext = new Map();
      byParam.set(param, perContext);
    }
    const context = `${isAfterDot ? '.' : ''}/${previousSegment}`;
    let population = perContext.get(context);
    if (population === undefined) {
      const kinds = classifyParameter(param, previousSegment, isAfterDot);
      const constraints = constraintsOf(param.schema);
      const owner = isGenericName(param.name) ? `|of ${previousSegment}` : '';
      const key = `${param.in}|${param.name}${owner}|${JSON.stringify(kinds)}|${JSON.stringify(constraints.describe)}`;
      const known = byKey.get(key);
      population = known?.population ?? buildPopulation(kinds, constraints, `${seed}|${key}`);
      if (known === undefined) byKey.set(key, { name: param.name, location: param.in, population });
      perContext.set(context, population);
    }
    return population;
  };
  return {
    draw: (param, previousSegment, random, isAfterDot = false) => populationFor(param, previousSegment, isAfterDot).draw(random),
    populations: () => [...byKey.values()],
  };
}

interface Constraints {
  accepts(value: string): boolean;
  describe: Record<string, unknown>;
}

function constraintsOf(schema: Record<string, unknown>): Constraints {
  const pattern = typeof schema.pattern === 'string' ? safeRegExp(schema.pattern) : null;
  const maxLength = typeof schema.maxLength === 'number' ? schema.maxLength : Infinity;
  const minLength = typeof schema.minLength === 'number' ? schema.minLength : 0;
  return {
    accepts: (v) => v.length <= maxLength && v.length >= minLength && (pattern === null || pattern.test(v)),
    describe: { pattern: schema.pattern, maxLength: schema.maxLength, minLength: schema.minLength },
  };
}

function safeRegExp(pattern: string): RegExp | null {
  try {
    return new RegExp(pattern, 'u');
  } catch {
    try {
      return new RegExp(pattern);
    } catch {
      return null;
    }
  }
}

/**
 * The first candidate kind whose probes satisfy the schema's constraints
 * wins; its population is then filled with distinct values.
 */
function buildPopulation(kinds: readonly ValueKind[], constraints: Constraints, seed: string): Population {
  const random = createRandom(seed);
  const size = Math.round(Math.exp(Math.log(POPULATION_MIN) + random.next() * Math.log(POPULATION_MAX / POPULATION_MIN)));
  for (const kind of kinds) {
    const make = generatorFor(kind);
    if (make === null) continue;
    const probes = Array.from({ length: PROBE }, () => make(random));
    if (probes.filter((v) => constraints.accepts(v)).length < PROBE / 2) continue;
    // A kind that repeats itself (an example with one digit to vary) is no
    // population, unless its domain is small by nature (an enum, countries).
    const domain = domainSize(kind);
    if (domain === null && new Set(probes).size < PROBE / 2) continue;
    // nor is one that can only make a few hundred ('mg-dep24': 100 names)
    if (kind.kind === 'shaped' && shapedCapacity(kind.example) < POPULATION_MIN) continue;
    return fill(kindLabel(kind), make, constraints, domain === null ? size : Math.min(domain, kind.kind === 'integer' ? size : domain), random);
  }
  // Nothing fits: random base62 strings within the length bounds.
  const fallback = generatorFor({ kind: 'base62', length: 12 }) as (r: Random) => string;
  return fill('base62(12)', fallback, { accepts: () => true, describe: {} }, size, random);
}

function fill(kind: string, make: (random: Random) => string, constraints: Constraints, size: number, random: Random): Population {
  const seen = new Set<string>();
  const values: string[] = [];
  // A small domain (countries) or a narrow pattern may hold fewer distinct
  // values than asked for: stop after a bounded number of misses.
  let misses = 0;
  while (values.length < size && misses < size * 3 + 100) {
    const v = make(random);
    if (v !== '' && !seen.has(v) && constraints.accepts(v)) {
      seen.add(v);
      values.push(v);
    } else {
      misses++;
    }
  }
  if (values.length === 0) values.push(make(random));
  const zipf = createZipf(values.length, VALUE_ZIPF_S);
  return { kind, values, draw: (r) => values[zipf(r)] as string };
}

/** The natural domain's size, when a kind has a small one. */
function domainSize(kind: ValueKind): number | null {
  switch (kind.kind) {
    case 'enum': case 'extension': return kind.values.length;
    case 'country': return COUNTRIES().length;
    case 'currency': return CURRENCIES().length;
    case 'language': return LANGUAGES.length;
    case 'integer': return kind.max - kind.min + 1;
    case 'timeFormat': return kind.format === 'YYYY' ? 11 : kind.format === 'MM' ? 12 : kind.format === 'DD' ? 31 : null;
    default: return null;
  }
}

// ---------------------------------------------------------------- generators

/**
 * Values shaped like an example, token by token (tokens split at - _ . : and
 * spaces): numbers get other digits of the same length, hex runs other hex,
 * long mixed tokens other letters and digits of the same case; plain words
 * stay, as in `db-postgresql-nyc3-98397` → `db-postgresql-nyc7-41022`.
 */
function shapedLike(example: string): (random: Random) => string {
  const parts = shapedParts(example);
  return (r) => parts.map(({ text, isKept, isHex, isToken }) => {
    if (isKept) return text;
    if (/^\d+$/.test(text)) return chars(r, DIGITS, text.length);
    return [...text].map((c) => {
      if (/\d/.test(c)) return chars(r, DIGITS, 1);
      if (!isToken) return c;
      if (/[a-z]/.test(c)) return chars(r, isHex ? 'abcdef' : LOWER, 1);
      if (/[A-Z]/.test(c)) return chars(r, isHex ? 'ABCDEF' : LOWER.toUpperCase(), 1);
      return c;
    }).join('');
  }).join('');
}

/** How many distinct values shapedLike can make from an example (a lower bound, capped). */
function shapedCapacity(example: string): number {
  let capacity = 1;
  for (const { text, isKept, isToken } of shapedParts(example)) {
    if (isKept) continue;
    for (const c of text) capacity *= /\d/.test(c) ? 10 : isToken && /[A-Za-z]/.test(c) ? 6 : 1;
    if (capacity > 1e9) return capacity;
  }
  return capacity;
}

interface ShapedPart {
  text: string;
  /** a separator or a plain word: kept as it is */
  isKept: boolean;
  /** a hex run: its letters vary within a-f */
  isHex: boolean;
  /** a hex run or a long mixed token: its letters vary too, not only its digits */
  isToken: boolean;
}

/** An example cut at - _ . : and spaces, each part with what shapedLike varies in it. */
function shapedParts(example: string): ShapedPart[] {
  return example.split(/([-_.: ])/).map((text) => {
    const isHex = /^[0-9a-f]+$/i.test(text) && text.length >= 6;
    return { text, isKept: /^[-_.: ]?$/.test(text) || /^[A-Za-z]+$/.test(text), isHex, isToken: isHex || text.length >= 8 };
  });
}

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const HEX = '0123456789abcdef';
const DIGITS = '0123456789';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const LANGUAGES = ['en', 'en-US', 'en-GB', 'de', 'de-DE', 'fr', 'fr-FR', 'es', 'es-MX', 'it', 'pt', 'pt-BR', 'nl', 'sv', 'pl', 'ru', 'tr', 'ja', 'ko', 'zh-CN', 'zh-TW', 'ar', 'hi', 'id', 'vi', 'th', 'uk', 'cs', 'da', 'fi'];
const EMAIL_DOMAINS = ['example.com', 'gmail.com', 'outlook.com', 'yahoo.com', 'proton.me', 'example.org', 'corp.example.net', 'mail.example.io'];
const TLDS = ['com', 'io', 'net', 'org', 'dev', 'app', 'co', 'de', 'fr', 'cloud'];
/** E.164 country calling codes and the national number length used with each. */
const PHONE_PLANS: ReadonlyArray<readonly [string, number]> = [['1', 10], ['44', 10], ['49', 11], ['33', 9], ['34', 9], ['39', 10], ['31', 9], ['61', 9], ['81', 10], ['55', 11], ['91', 10], ['52', 10], ['27', 9], ['65', 8]];

let countries: string[] | null = null;
/** ISO 3166-1 alpha-2 codes that ICU names (the runtime's own region data). */
function COUNTRIES(): string[] {
  if (countries === null) {
    const names = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'code' });
    countries = [];
    for (let a = 65; a <= 90; a++) {
      for (let b = 65; b <= 90; b++) {
        const code = String.fromCharCode(a, b);
        if (names.of(code) !== code) countries.push(code);
      }
    }
  }
  return countries;
}

function CURRENCIES(): string[] {
  return Intl.supportedValuesOf('currency').map((c) => c.toLowerCase());
}

function chars(random: Random, alphabet: string, n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) out += alphabet[Math.floor(random.next() * alphabet.length)];
  return out;
}

const cap = (w: string): string => w.charAt(0).toUpperCase() + w.slice(1);
const word = (r: Random): string => r.pick(WORDS);
const first = (r: Random): string => r.pick(FIRST_NAMES);
const digits = (r: Random, min: number, max: number): string => String(r.int(min, max));
const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

function uuid(r: Random): string {
  const h = chars(r, HEX, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${'89ab'[r.int(0, 3)]}${h.slice(17, 20)}-${h.slice(20)}`;
}

function date(r: Random): string {
  const d = new Date(Date.UTC(2015, 0, 1) + r.int(0, 4017) * 86_400_000);
  return d.toISOString().slice(0, 10);
}

/** A GitHub-style login: letters, digits and single hyphens. */
function login(r: Random): string {
  switch (r.int(0, 7)) {
    case 0: return first(r) + r.pick(LAST_NAMES);
    case 1: return `${first(r)}-${r.pick(LAST_NAMES)}`;
    case 2: return first(r) + digits(r, 1, 9999);
    case 3: return `${word(r)}-${word(r)}`;
    case 4: return word(r) + word(r);
    case 5: return cap(first(r)) + cap(r.pick(LAST_NAMES));
    case 6: return `${word(r)}-${digits(r, 1, 99)}`;
    default: return `${first(r).charAt(0)}${r.pick(LAST_NAMES)}${digits(r, 1, 99)}`;
  }
}

function repo(r: Random): string {
  switch (r.int(0, 7)) {
    case 0: return word(r);
    case 1: return `${word(r)}-${word(r)}`;
    case 2: return `${cap(word(r))}-${cap(word(r))}`;
    case 3: return `${word(r)}.${r.pick(['js', 'py', 'rs', 'go', 'nvim', 'github.io'])}`;
    case 4: return `${word(r)}_${word(r)}`;
    case 5: return `${word(r)}-${word(r)}-${word(r)}`;
    case 6: return `${word(r)}${digits(r, 1, 9)}`;
    default: return `${first(r)}-${word(r)}`;
  }
}

function branch(r: Random): string {
  switch (r.int(0, 6)) {
    case 0: return r.pick(['main', 'master', 'develop', 'dev', 'staging', 'gh-pages']);
    case 1: return `feature-${word(r)}-${digits(r, 1, 999)}`;
    case 2: return `fix-${word(r)}`;
    case 3: return `release-${digits(r, 1, 9)}.${digits(r, 0, 20)}`;
    case 4: return `v${digits(r, 0, 9)}.${digits(r, 0, 30)}.${digits(r, 0, 30)}`;
    case 5: return `${first(r)}-${word(r)}-${word(r)}`;
    default: return `dependabot-${word(r)}-${digits(r, 1, 9)}.${digits(r, 0, 9)}`;
  }
}

function label(r: Random): string {
  switch (r.int(0, 6)) {
    case 0: return word(r);
    case 1: return `${word(r)} ${word(r)}`;
    case 2: return `${word(r)}-${word(r)}`;
    case 3: return cap(word(r));
    case 4: return `${word(r)}-${digits(r, 1, 99)}`;
    case 5: return `${word(r)}_${word(r)}`;
    default: return `${word(r)}.${word(r)}`;
  }
}

export function generatorFor(kind: ValueKind): ((random: Random) => string) | null {
  switch (kind.kind) {
    case 'enum': case 'extension': {
      let i = 0;
      // enumerate the domain once, in order, so fill() gets every value
      return () => kind.values[i++ % kind.values.length] as string;
    }
    case 'union': {
      const makers = kind.kinds.map((candidates) => candidates.map(generatorFor).find((m) => m !== null) ?? null)
        .filter((m): m is (r: Random) => string => m !== null);
      if (makers.length === 0) return null;
      return (r) => (r.pick(makers))(r);
    }
    case 'integer': return (r) => String(r.int(kind.min, kind.max));
    case 'hex': return (r) => chars(r, HEX, kind.length);
    case 'prefixed': return (r) => `${kind.prefix}_${chars(r, BASE62, kind.length)}`;
    case 'base62': return (r) => chars(r, BASE62, kind.length);
    case 'shaped': return shapedLike(kind.example);
    case 'pattern': return compilePattern(kind.pattern);
    case 'arn': return (r) => `arn:aws:${r.pick(AWS_SERVICES)}:${r.pick(AWS_REGIONS)}:${digits(r, 100_000_000_000, 999_999_999_999)}:${word(r)}/${chars(r, BASE62, 12)}`;
    case 'uuid': return uuid;
    case 'date': return date;
    case 'resourcePath': return (r) => kind.layout.replace(/\{[\w-]+\}/g, () => (r.chance(0.5) ? `${word(r)}-${word(r)}${r.chance(0.5) ? `-${digits(r, 1, 999)}` : ''}` : digits(r, 1000, 9_999_999)));
    case 'timeFormat': return (r) => {
      const d = new Date(Date.UTC(2015, 0, 1) + r.int(0, 4017) * 86_400_000 + r.int(0, 23) * 3_600_000);
      return kind.format
        .replace('YYYY', String(d.getUTCFullYear()))
        .replace('MM', pad(d.getUTCMonth() + 1))
        .replace('DD', pad(d.getUTCDate()))
        .replace('HH', pad(d.getUTCHours()));
    };
    case 'datetime': return (r) => `${date(r)}T${pad(r.int(0, 23))}:${pad(r.int(0, 59))}:${pad(r.int(0, 59))}Z`;
    case 'email': return (r) => `${first(r)}${r.pick(['.', '_', ''])}${r.pick(LAST_NAMES)}${r.chance(0.3) ? digits(r, 1, 99) : ''}@${r.pick(EMAIL_DOMAINS)}`;
    case 'phone': return (r) => {
      const [code, length] = r.pick(PHONE_PLANS);
      return `+${code}${digits(r, 2, 9)}${chars(r, '0123456789', length - 1)}`;
    };
    case 'ipv4': return (r) => `${r.int(11, 223)}.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}`;
    case 'ipv6': return (r) => `2001:db8:${r.int(0, 0xffff).toString(16)}:${r.int(0, 0xffff).toString(16)}::${r.int(1, 0xffff).toString(16)}`;
    case 'hostname': return (r) => (r.chance(0.5) ? `${word(r)}-${word(r)}.${r.pick(TLDS)}` : `${r.pick(['api', 'www', 'app', 'shop', 'mail'])}.${word(r)}${word(r)}.${r.pick(TLDS)}`);
    case 'login': return login;
    case 'repo': return repo;
    case 'slug': return (r) => (r.chance(0.7) ? `${word(r)}-${word(r)}` : `${word(r)}-${word(r)}-${digits(r, 1, 999)}`);
    case 'label': return label;
    case 'constant': return (r) => `${word(r).toUpperCase()}_${r.pick(['TOKEN', 'KEY', 'SECRET', 'URL', 'PASSWORD', 'ID', 'HOST'])}${r.chance(0.3) ? `_${digits(r, 1, 9)}` : ''}`;
    case 'semver': return (r) => `${r.int(0, 12)}.${r.int(0, 30)}.${r.int(0, 40)}`;
    case 'country': {
      let i = 0;
      return () => COUNTRIES()[i++ % COUNTRIES().length] as string;
    }
    case 'currency': {
      let i = 0;
      return () => CURRENCIES()[i++ % CURRENCIES().length] as string;
    }
    case 'language': {
      let i = 0;
      return () => LANGUAGES[i++ % LANGUAGES.length] as string;
    }
    case 'branch': return branch;
    case 'filename': return (r) => (r.chance(0.2) ? `${r.pick(['README', 'LICENSE', 'CHANGELOG', 'Makefile', 'Dockerfile'])}${r.chance(0.5) ? '.md' : ''}` : `${word(r)}${r.chance(0.4) ? `-${word(r)}` : ''}.${r.pick(FILE_EXTENSIONS)}`);
  }
}
