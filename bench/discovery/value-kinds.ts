/**
 * What kind of values a parameter takes, read from its schema, examples,
 * name and description, in that order of trust, with no knowledge of which
 * document it comes from. The result is a list of candidates, best first:
 * values.ts takes the first one whose values pass the schema's `pattern`,
 * `minLength` and `maxLength`.
 *
 *   1. `enum` (or `type: boolean`): only those values, ever; so are the
 *      values a description lists ("Possible values are: ts, webm, mp4.");
 *      a parameter written right after a dot inside its segment
 *      (`stream.{container}`, `{id}.{format}`) is a file extension: the
 *      formats its description names (audio, video, subtitles, images), or
 *      common data formats;
 *   2. `oneOf`/`anyOf` of different types: a mix of every branch;
 *   3. `type: integer|number`: ids (or small counters for `*_number`);
 *   4. `format`: uuid, date, date-time, email, ipv4, ipv6, hostname;
 *   5. an example with a telling shape (a uuid, digits, `cus_…`, hex, …);
 *   6. the name (`owner` → a user name, `repo` → a repository name, `tag`
 *      → a git tag, but a hash when the description says it is a cache tag,
 *      `secret_name` → `API_TOKEN`, `*_sha` → hex, `country` → `FR`, …);
 *   7. the description ("The UUID of…", "slug", "email address");
 *   8. the `pattern`, by generating strings that match it;
 *   9. a plain-word example: a human-chosen name;
 *  10. an opaque id: `<prefix>_<base62>` for an object noun (`customer` →
 *      `cus_…`, the Stripe convention), and for an `*_id` string one of four
 *      common styles (uuid, base62, 24-hex, prefixed) chosen by a hash of
 *      the name, so that a document's ids are not all alike.
 */

import type { SpecParameter } from './spec-operations.ts';
import { isRecord } from './spec-operations.ts';
import { hashString } from './random.ts';

export type ValueKind =
  | { kind: 'enum'; values: string[] }
  | { kind: 'extension'; values: string[] }
  | { kind: 'union'; kinds: ValueKind[][] }
  | { kind: 'integer'; min: number; max: number }
  | { kind: 'hex'; length: number }
  | { kind: 'prefixed'; prefix: string; length: number }
  | { kind: 'base62'; length: number }
  | { kind: 'shaped'; example: string }
  | { kind: 'pattern'; pattern: string }
  /** a date or part of one written as a description says (`YYYYMMDD`, `YYYY`, `MM`) */
  | { kind: 'timeFormat'; format: string }
  /** a resource name made of segments (`projects/{project}/locations/{location}`), sent as one encoded segment */
  | { kind: 'resourcePath'; layout: string }
  | {
    kind: 'uuid' | 'date' | 'datetime' | 'email' | 'phone' | 'ipv4' | 'ipv6' | 'hostname' | 'login' | 'repo' | 'slug'
      | 'label' | 'constant' | 'semver' | 'country' | 'currency' | 'language' | 'branch' | 'filename' | 'arn';
  };

/** The range ids are drawn from (the benchmark's brief: ids from a population in 1..10^6). */
export const ID_RANGE = { min: 1, max: 1_000_000 } as const;
/** Per-parent counters (`issue_number`, `attempt_number`) are small. */
const COUNTER_RANGE = { min: 1, max: 20_000 } as const;

/**
 * `isAfterDot`: the parameter follows a '.' inside its segment
 * (`stream.{container}`, `{segmentId}.{format}`); real clients put a file
 * extension there, whatever the schema's type says.
 */
export function classifyParameter(param: SpecParameter, previousSegment: string, isAfterDot = false): ValueKind[] {
  const kinds = classifySchema(param.schema, param.name, param.description, param.examples, previousSegment, 0);
  if (param.isPath === true && kinds[0]?.kind !== 'resourcePath' && kinds[0]?.kind !== 'enum') return [{ kind: 'resourcePath', layout: pathLayoutFor(param.name) }, ...kinds];
  if (!isAfterDot || kinds[0]?.kind === 'enum') return kinds;
  return [{ kind: 'extension', values: extensionsFor(param.description) }, ...kinds];
}

const AUDIO_EXTENSIONS = ['mp3', 'aac', 'flac', 'ogg', 'opus', 'm4a', 'wav', 'webm', 'wma'];
const VIDEO_EXTENSIONS = ['mp4', 'mkv', 'webm', 'ts', 'm4v', 'mov', 'avi', 'ogv', 'flv', 'mpeg'];
const SUBTITLE_EXTENSIONS = ['srt', 'vtt', 'ass', 'ssa', 'sub', 'ttml'];
const IMAGE_EXTENSIONS = ['png', 'jpg', 'jpeg', 'gif', 'webp', 'svg'];
const DATA_EXTENSIONS = ['json', 'xml', 'csv', 'txt', 'html', 'yaml', 'pdf'];
/** Extensions that say an example is a file's name: no host name ends in one in practice. */
const FILE_NAME_EXTENSIONS = new Set([...AUDIO_EXTENSIONS, ...VIDEO_EXTENSIONS, ...SUBTITLE_EXTENSIONS, ...IMAGE_EXTENSIONS, ...DATA_EXTENSIONS, 'yml', 'doc', 'docx', 'xls', 'xlsx', 'ppt', 'pptx', 'zip', 'gz', 'tar', 'md']);

/** The file extensions a format parameter takes, by what its description says it is. */
function extensionsFor(description: string): string[] {
  const d = description.toLowerCase();
  if (/\baudio\b/.test(d)) return AUDIO_EXTENSIONS;
  if (/\b(subtitles?|captions?)\b/.test(d)) return SUBTITLE_EXTENSIONS;
  if (/\b(video|container|stream|media)\b/.test(d)) return VIDEO_EXTENSIONS;
  if (/\b(image|picture|photo|thumbnail)s?\b/.test(d)) return IMAGE_EXTENSIONS;
  return DATA_EXTENSIONS;
}

/**
 * The values a description lists, when it lists them ("Possible values
 * are: ts, webm, mp4."; "Allowed values: a, b"): two or more plain tokens
 * separated by commas; else null.
 */
export function listedValues(description: string): string[] | null {
  const m = /\b(?:possible|allowed|valid|supported) values(?: are)?:?\s+([^\n]+)/i.exec(description);
  if (m === null) return null;
  const list = (m[1] as string).replace(/\.\s*$|\.\s.*$/s, '').split(/\s*,\s*|\s+or\s+|\s+and\s+/).map((v) => v.trim().replace(/^["'`]|["'`]$/g, ''));
  if (list.length < 2 || !list.every((v) => /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(v))) return null;
  return [...new Set(list)];
}

function classifySchema(
  rawSchema: Record<string, unknown>,
  name: string,
  description: string,
  examples: readonly unknown[],
  previousSegment: string,
  depth: number,
): ValueKind[] {
  const schema = flatten(rawSchema);
  const type = schemaType(schema);
  if (type === 'array' && isRecord(schema.items) && depth < 3) {
    return classifySchema(schema.items, name, description, examples, previousSegment, depth + 1);
  }
  const enumValues = Array.isArray(schema.enum) ? schema.enum.filter((v) => v !== null && typeof v !== 'object').map(String) : [];
  if (enumValues.length > 0) return [{ kind: 'enum', values: enumValues }];
  if (type === 'boolean') return [{ kind: 'enum', values: ['true', 'false'] }];
  const listed = type === 'integer' || type === 'number' ? null : listedValues(description);
  if (listed !== null) return [{ kind: 'enum', values: listed }];

  const branches = unionBranches(rawSchema);
  if (branches.length >= 2 && depth < 3) {
    const kinds = branches.map((b) =>
      classifySchema(b, name, typeof b.description === 'string' ? b.description : description, branchExamples(b, examples), previousSegment, depth + 1));
    return [{ kind: 'union', kinds }];
  }

  const words = nameWords(name);
  const head = words.at(-1) ?? '';
  // Some documents quote a string example inside the string ('"123e4567-…"').
  const textExamples = examples.map((e) => String(e).replace(/^"(.*)"$/s, '$1'));

  if (type === 'integer' || type === 'number') return [integerKind(schema, head, textExamples)];

  const candidates: ValueKind[] = [];
  const byFormat = formatKind(schema.format);
  if (byFormat !== null) candidates.push(byFormat);
  const timeFormat = timeFormatOf(description);
  if (timeFormat !== null) candidates.push({ kind: 'timeFormat', format: timeFormat });
  const layout = resourcePathOf(description, name, previousSegment);
  if (layout !== null) candidates.push({ kind: 'resourcePath', layout });
  // the document's examples, then one its description gives ("for example en.wikipedia")
  for (const example of [...textExamples, ...descriptionExamples(description)]) {
    const shape = exampleKind(example);
    if (shape !== null) {
      candidates.push(shape);
      break;
    }
  }
  // a cache tag (an ETag: '/{tag}/' beside an image) is a hash, not a git tag
  if (words.at(-1) === 'tag' && /\b(cache|e-?tag)\b/i.test(description)) candidates.push({ kind: 'hex', length: 32 });
  const byName = nameKind(words);
  if (byName !== null) candidates.push(byName);
  const byDescription = descriptionKind(description);
  if (byDescription !== null) candidates.push(byDescription);
  // an AWS resource name ('resourceArn', pattern 'arn:.+'): the whole ARN, as clients send it
  if (/arn$/i.test(name) || (typeof schema.pattern === 'string' && /^\^?arn:/.test(schema.pattern))) candidates.push({ kind: 'arn' });
  if (typeof schema.pattern === 'string' && !isShapeless(schema.pattern)) candidates.push({ kind: 'pattern', pattern: schema.pattern });
  if (textExamples.some((e) => /^[A-Za-z][A-Za-z0-9 _.-]*$/.test(e))) candidates.push({ kind: 'label' });
  candidates.push(...fallbackKinds(words, name, previousSegment, schema));
  return candidates;
}

/**
 * A pattern that is one character class repeated ('^[-\w\._]+$', Azure's
 * `location`), or only wildcards and classes ('.*\S.*', AWS's "not blank";
 * '.*[0-9A-Za-z][-.0-9A-Z_a-z]*.*'), says which characters a value may
 * use, not what it looks like: random strings over it ('8', 'V9',
 * '}ML4m9P]fP4ISKh') are not what clients send ('westus'). It still
 * filters the values of the other kinds.
 */
function isShapeless(pattern: string): boolean {
  if (/^\^?\[[^\]]+\][+*]\$?$/.test(pattern)) return true;
  return /^\^?(?:\.[*+]?|\\S[*+]?|\[[^\]]+\][*+]?)+\$?$/.test(pattern) && /\.[*+]|\\S/.test(pattern);
}

/** A schema given through allOf is read as the merge of its branches. */
function flatten(schema: Record<string, unknown>): Record<string, unknown> {
  if (!Array.isArray(schema.allOf)) return schema;
  let merged: Record<string, unknown> = {};
  for (const branch of schema.allOf) if (isRecord(branch)) merged = { ...merged, ...flatten(branch) };
  const own = { ...schema };
  delete own.allOf;
  return { ...merged, ...own };
}

function schemaType(schema: Record<string, unknown>): string | undefined {
  const type = schema.type;
  if (Array.isArray(type)) return type.find((t): t is string => typeof t === 'string' && t !== 'null');
  return typeof type === 'string' ? type : undefined;
}

/** Branches of oneOf/anyOf with distinct types (an id that is an integer or a string, say). */
function unionBranches(schema: Record<string, unknown>): Record<string, unknown>[] {
  for (const key of ['oneOf', 'anyOf']) {
    const list = schema[key];
    if (!Array.isArray(list)) continue;
    const branches = list.filter(isRecord).map(flatten);
    const types = new Set(branches.map((b) => schemaType(b) ?? (typeof b.format === 'string' ? b.format : 'string')));
    if (types.size >= 2) return branches;
    if (branches.length > 0) return [];
  }
  return [];
}

function branchExamples(branch: Record<string, unknown>, fallback: readonly unknown[]): unknown[] {
  if (branch.example !== undefined) return [branch.example];
  const type = schemaType(branch);
  // The parameter's own examples are kept for the branch whose type they fit.
  return fallback.filter((e) => (type === 'integer' || type === 'number' ? typeof e === 'number' || /^\d+$/.test(String(e)) : typeof e === 'string'));
}

function integerKind(schema: Record<string, unknown>, head: string, examples: readonly string[]): ValueKind {
  const numeric = examples.find((e) => /^\d+$/.test(e));
  let { min, max }: { min: number; max: number } = ['number', 'num', 'no', 'index', 'position', 'attempt'].includes(head) ? COUNTER_RANGE : ID_RANGE;
  if (numeric !== undefined && numeric.length >= 4) {
    // ids of the same magnitude as the document's example
    min = 10 ** (numeric.length - 1);
    max = 10 ** numeric.length - 1;
  }
  if (typeof schema.minimum === 'number') min = Math.max(min, Math.ceil(schema.minimum));
  if (typeof schema.maximum === 'number') max = Math.min(max, Math.floor(schema.maximum));
  if (max < min) max = min;
  return { kind: 'integer', min, max };
}

function formatKind(format: unknown): ValueKind | null {
  switch (format) {
    case 'uuid': return { kind: 'uuid' };
    case 'date': return { kind: 'date' };
    case 'date-time': return { kind: 'datetime' };
    case 'email': case 'idn-email': return { kind: 'email' };
    case 'ipv4': return { kind: 'ipv4' };
    case 'ipv6': return { kind: 'ipv6' };
    case 'hostname': case 'idn-hostname': return { kind: 'hostname' };
    default: return null;
  }
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The kind an example's shape tells, or null for a plain word (a weak hint, used later). */
export function exampleKind(example: string): ValueKind | null {
  if (UUID_RE.test(example)) return { kind: 'uuid' };
  if (/^\d{4}-\d{2}-\d{2}$/.test(example)) return { kind: 'date' };
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(example)) return { kind: 'datetime' };
  if (/^\d+$/.test(example)) {
    const n = example.length;
    return n >= 4 ? { kind: 'integer', min: 10 ** (n - 1), max: 10 ** n - 1 } : { kind: 'integer', ...ID_RANGE };
  }
  if (/^\+\d{8,15}$/.test(example)) return { kind: 'phone' };
  if (/^[^@\s]+@[^@\s]+\.[a-z]+$/i.test(example)) return { kind: 'email' };
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(example)) return { kind: 'ipv4' };
  if (/^[0-9a-f:]+:[0-9a-f:]*$/i.test(example) && example.includes('::')) return { kind: 'ipv6' };
  if (/^v?\d+\.\d+\.\d+$/.test(example)) return { kind: 'semver' };
  if (/^[0-9a-f]{16,}$/i.test(example) && /\d/.test(example) && /[a-f]/i.test(example)) return { kind: 'hex', length: example.length };
  const prefixed = /^([a-z]{1,10})_([A-Za-z0-9]{6,})$/.exec(example);
  if (prefixed) return { kind: 'prefixed', prefix: prefixed[1] as string, length: (prefixed[2] as string).length };
  // a name ending in a file extension is a file name, not a host ('xero-dev.jpg', 'report.pdf')
  if (/^[\w.-]+\.[a-z0-9]+$/i.test(example) && FILE_NAME_EXTENSIONS.has((example.split('.').at(-1) as string).toLowerCase())) return { kind: 'filename' };
  if (/^[a-z0-9-]+(\.[a-z0-9-]+)+$/i.test(example) && /\.[a-z]{2,}$/i.test(example)) return { kind: 'hostname' };
  // A token mixing letters and digits (a key, a fingerprint): more of that shape.
  if (example.length >= 8 && !/\s/.test(example) && /\d/.test(example) && /[A-Za-z]/.test(example)) return { kind: 'shaped', example };
  return null;
}

/** `subscription_exposed_id` → ['subscription', 'exposed', 'id']; `gistId` → ['gist', 'id']. */
export function nameWords(name: string): string[] {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase().split(/[^a-z0-9]+/).filter((w) => w !== '');
}

const LOGIN_HEADS = new Set(['owner', 'org', 'organization', 'username', 'user', 'login', 'assignee', 'enterprise', 'member', 'collaborator', 'author', 'handle', 'maintainer']);
const SECRET_WORDS = new Set(['secret', 'variable', 'var', 'env']);

function nameKind(words: readonly string[]): ValueKind | null {
  const head = words.at(-1) ?? '';
  const has = (w: string): boolean => words.includes(w);
  if (head === 'uuid' || head === 'guid') return { kind: 'uuid' };
  if (has('email') || has('mail')) return { kind: 'email' };
  if (has('phone') || has('msisdn') || has('mobile')) return { kind: 'phone' };
  if (head === 'digest') return { kind: 'hex', length: 64 };
  if (['sha', 'hash', 'checksum', 'commit'].includes(head) || (has('sha') && head !== 'id')) return { kind: 'hex', length: 40 };
  if (head === 'version') return { kind: 'semver' };
  if (head === 'country') return { kind: 'country' };
  if (head === 'currency') return { kind: 'currency' };
  if (['language', 'locale', 'lang'].includes(head)) return { kind: 'language' };
  if (head === 'date' || head === 'day') return { kind: 'date' };
  if (['timestamp', 'datetime'].includes(head)) return { kind: 'datetime' };
  if (head === 'ip' || head === 'ipv4') return { kind: 'ipv4' };
  if (head === 'ipv6') return { kind: 'ipv6' };
  if (['domain', 'hostname', 'host', 'fqdn'].includes(head) || (head === 'name' && has('domain'))) return { kind: 'hostname' };
  if (LOGIN_HEADS.has(head) || (head === 'name' && (has('user') || has('owner') || has('org')))) return { kind: 'login' };
  if (head === 'repo' || head === 'repository' || (head === 'name' && (has('repo') || has('repository') || has('project')))) return { kind: 'repo' };
  if (head === 'slug') return { kind: 'slug' };
  // git refs; `base` and `head` are the two sides of a comparison (`{base}...{head}`)
  if (['branch', 'ref', 'tag', 'base', 'head'].includes(head)) return { kind: 'branch' };
  if (['path', 'filename'].includes(head) || (head === 'name' && has('file'))) return { kind: 'filename' };
  if (['name', 'title', 'label'].includes(head)) return words.some((w) => SECRET_WORDS.has(w)) ? { kind: 'constant' } : { kind: 'label' };
  if (['key', 'token', 'secret', 'code', 'nonce'].includes(head)) return { kind: 'base62', length: 32 };
  if (['number', 'num', 'no', 'index', 'position'].includes(head)) return { kind: 'integer', ...COUNTER_RANGE };
  return null;
}

/**
 * The layout a description gives a date in ("in YYYYMMDD format", "in MM
 * format", "YYYY-MM-DD"): the year, month, day and hour tokens with their
 * separators, normalised to upper case; null when it gives none. `mm` in
 * lower case is minutes elsewhere, so a month is only `MM`.
 */
export function timeFormatOf(description: string): string | null {
  const m = /(?<![\w-])([Yy]{4}(?:[-/.]?MM(?:[-/.]?[Dd]{2}(?:[T ]?[Hh]{2})?)?)?|MM|DD)(?![\w-])/.exec(description);
  if (m === null) return null;
  const token = m[1] as string;
  // a bare MM or DD is a format only where the description says so
  if (!/[Yy]/.test(token) && !/\bformat\b/i.test(description)) return null;
  return token.replace(/[Yy]{4}/, 'YYYY').replace(/[Dd]{2}/, 'DD').replace(/[Hh]{2}/, 'HH');
}

/**
 * A resource name's layout, when the description gives one ("Format:
 * `projects/{project}/locations/{location}/contexts/{context}`") or says the
 * value is a resource name (Google's APIs: `/v1/{+name}` takes
 * `organizations/acme/sites/web/apidocs/7`, several segments, which the
 * document writes as one parameter `/v1/{name}`); else null.
 */
export function resourcePathOf(description: string, name: string, previousSegment: string): string | null {
  const layout = /(?<![\w/{])([A-Za-z][\w-]*\/\{[\w-]+\}(?:\/[A-Za-z][\w-]*(?:\/\{[\w-]+\})?)*)/.exec(description);
  if (layout !== null) return layout[1] as string;
  // only Google's own names for it (an Azure `resourceName` is one segment), said to be a
  // resource name or placed right after the version ('/v1beta1/{name}')
  const isRightAfterVersion = /^v\d+(?:(?:alpha|beta|p)\d*)?$/.test(previousSegment);
  if (['name', 'parent', 'resource'].includes(name) && (isRightAfterVersion || /\bresource(?:'s)? names?\b|\bschemeless uri|\bresource that owns\b/i.test(description))) {
    return 'projects/{project}/locations/{location}/items/{item}';
  }
  return null;
}

/**
 * The layout of a path-valued parameter the description gives none for:
 * Azure's scopes and resource ids, else a Google-style resource name.
 */
function pathLayoutFor(name: string): string {
  if (/scope|resourceid|^id$|assignmentid|roleid/i.test(name)) return 'subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/{namespace}/{type}/{name}';
  return 'projects/{project}/locations/{location}/items/{item}';
}

/** Tokens a description gives as examples ("for example en.wikipedia", "e.g. `cus_123`"). */
export function descriptionExamples(description: string): string[] {
  const out: string[] = [];
  for (const m of description.matchAll(/\b(?:for example|for instance|e\.g\.|such as|example)[:,]?\s+[`'"]?([^\s`'",;()]+)/gi)) {
    out.push((m[1] as string).replace(/[.:]$/, ''));
  }
  return out;
}

function descriptionKind(description: string): ValueKind | null {
  const d = description.toLowerCase();
  if (/\buuid\b/.test(d)) return { kind: 'uuid' };
  if (/\bemail address\b/.test(d)) return { kind: 'email' };
  if (/\bphone number\b/.test(d)) return { kind: 'phone' };
  if (/\bslug\b/.test(d)) return { kind: 'slug' };
  if (/\bsha\b/.test(d)) return { kind: 'hex', length: 40 };
  return null;
}

const ID_WORDS = new Set(['id', 'ids', 'identifier', 'uuid', 'exposed']);
/** Words that say a value identifies something, and not what: `{id}`, `{key}`, `{name}`. */
const GENERIC_NAME_WORDS = new Set([...ID_WORDS, 'guid', 'key', 'name', 'slug']);

/**
 * Does the name say nothing of the object its values identify (`id`,
 * `key`, `name`)? Then only the path does: `/object/account/{id}` and
 * `/object/invoice/{id}` identify accounts and invoices, two disjoint sets.
 */
export function isGenericName(name: string): boolean {
  const words = nameWords(name);
  return words.length > 0 && words.every((w) => GENERIC_NAME_WORDS.has(w));
}

function fallbackKinds(words: readonly string[], name: string, previousSegment: string, schema: Record<string, unknown>): ValueKind[] {
  const head = words.at(-1) ?? '';
  const maxLength = typeof schema.maxLength === 'number' ? schema.maxLength : Infinity;
  const out: ValueKind[] = [];
  if (maxLength <= 4) return [{ kind: 'pattern', pattern: `^[a-z]{${Math.max(1, Math.min(maxLength, typeof schema.minLength === 'number' ? schema.minLength : maxLength))},${maxLength}}$` }];
  const prefix = objectPrefix(words, previousSegment);
  if (head === 'id' || head === 'identifier') {
    const styles: ValueKind[] = [
      { kind: 'uuid' },
      { kind: 'base62', length: 20 },
      { kind: 'hex', length: 24 },
      { kind: 'prefixed', prefix, length: 24 },
    ];
    out.push(styles[hashString(name) % styles.length] as ValueKind);
  } else {
    // An object noun (`customer`, `charge`): Stripe-style prefixed ids.
    out.push({ kind: 'prefixed', prefix, length: [14, 16, 24][hashString(name) % 3] as number });
  }
  out.push({ kind: 'base62', length: Math.min(20, maxLength) });
  return out;
}

/**
 * A short prefix from the name (`payment_intent` → `pi`, `customer` → `cus`),
 * or from the collection segment before an `{id}` (`bank_accounts` → `ba`).
 */
export function objectPrefix(words: readonly string[], previousSegment: string): string {
  let ws = words.filter((w) => !ID_WORDS.has(w));
  if (ws.length === 0) ws = nameWords(singular(previousSegment));
  if (ws.length === 0) return 'obj';
  if (ws.length === 1) {
    const w = ws[0] as string;
    return w.length <= 4 ? w : w.slice(0, 3);
  }
  return ws.map((w) => w[0]).join('').slice(0, 4);
}

function singular(word: string): string {
  if (word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (word.endsWith('sses')) return word.slice(0, -2);
  if (word.endsWith('s') && !word.endsWith('ss')) return word.slice(0, -1);
  return word;
}

/** One line per kind, for the report: `prefixed(cus_, 14)`, `integer(1..1000000)`. */
export function kindLabel(kind: ValueKind): string {
  switch (kind.kind) {
    case 'enum': return `enum(${kind.values.length})`;
    case 'extension': return `extension(${kind.values.join('|')})`;
    case 'union': return `union(${kind.kinds.map((k) => (k[0] ? kindLabel(k[0]) : '?')).join(' | ')})`;
    case 'integer': return `integer(${kind.min}..${kind.max})`;
    case 'hex': return `hex(${kind.length})`;
    case 'prefixed': return `prefixed(${kind.prefix}_, ${kind.length})`;
    case 'base62': return `base62(${kind.length})`;
    case 'shaped': return `shaped(${kind.example})`;
    case 'pattern': return `pattern(${kind.pattern})`;
    case 'timeFormat': return `time(${kind.format})`;
    case 'resourcePath': return `resource(${kind.layout})`;
    default: return kind.kind;
  }
}
