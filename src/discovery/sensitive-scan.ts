/**
 * Scans what a request or response carries (a JSON body, a form body, a
 * query string, a path) for sensitive data classes, and reports each class
 * with how many values had it, where (JSON paths such as "data[].email",
 * parameter names, "[2]" for the third path segment) and a few masked
 * examples. Nothing unmasked leaves this module.
 *
 * Bounds: at most `maxNodes` values and containers per scan, each value
 * checked within classifyValue's length cap; at most `maxPaths` paths and
 * `maxExamples` examples per class. The sample itself is already bounded by
 * its source (BodySample.text is capped).
 */
import type { DataClass } from './data-classes.ts';
import type { BodySample } from './types.ts';
import { displayPath, isIdLikeKey, itemsPath, mapValuesPath, propertyPath } from './json-shape-keys.ts';
import { walkJsonText } from './sensitive-json-text.ts';
import { maskValue } from './sensitive-mask.ts';
import { classifyNumber, classifyValue } from './sensitive-values.ts';

export interface ClassFinding {
  /** values of this class seen */
  count: number;
  /** distinct places they were seen, first come, capped */
  paths: string[];
  /** masked values (maskValue), distinct, capped */
  examples: string[];
}

export type SensitiveFindings = Map<DataClass, ClassFinding>;

export interface ScanOptions {
  /** values and containers visited per scan (default 10 000) */
  maxNodes?: number;
  /** paths kept per class (default 8) */
  maxPaths?: number;
  /** masked examples kept per class (default 3) */
  maxExamples?: number;
}

const DEFAULT_MAX_NODES = 10_000;
const DEFAULT_MAX_PATHS = 8;
const DEFAULT_MAX_EXAMPLES = 3;
/** values masked per wanted example before giving up on finding distinct ones */
const EXAMPLE_TRIES = 8;

interface Recorder {
  findings: SensitiveFindings;
  maxPaths: number;
  maxExamples: number;
}

function recorderOf(options: ScanOptions | undefined): Recorder {
  return {
    findings: new Map(),
    maxPaths: options?.maxPaths ?? DEFAULT_MAX_PATHS,
    maxExamples: options?.maxExamples ?? DEFAULT_MAX_EXAMPLES,
  };
}

function record(recorder: Recorder, cls: DataClass, path: string, value: string): void {
  let finding = recorder.findings.get(cls);
  if (!finding) recorder.findings.set(cls, finding = { count: 0, paths: [], examples: [] });
  finding.count++;
  if (finding.paths.length < recorder.maxPaths && !finding.paths.includes(path)) finding.paths.push(path);
  // masks often coincide ("j•••@example.com"): stop looking for distinct ones after a while
  if (finding.examples.length < recorder.maxExamples && finding.count <= recorder.maxExamples * EXAMPLE_TRIES) {
    const masked = maskValue(cls, value);
    if (!finding.examples.includes(masked)) finding.examples.push(masked);
  }
}

function classifyLeaf(recorder: Recorder, value: unknown, path: string, name: string | undefined): void {
  if (typeof value === 'string') {
    const cls = classifyValue(value, name);
    if (cls) record(recorder, cls, displayPath(path), value);
  } else if (typeof value === 'number') {
    const cls = classifyNumber(value, name);
    if (cls) record(recorder, cls, displayPath(path), String(value));
  }
}

/** Scans a parsed JSON value. */
export function scanJson(value: unknown, options?: ScanOptions): SensitiveFindings {
  const recorder = recorderOf(options);
  const maxNodes = options?.maxNodes ?? DEFAULT_MAX_NODES;
  // depth first with an explicit stack: bodies can nest deeper than the call stack should
  const stack: Array<{ value: unknown; path: string; name: string | undefined }> = [{ value, path: '', name: undefined }];
  let nodes = 0;
  while (stack.length > 0 && nodes < maxNodes) {
    const item = stack.pop()!;
    nodes++;
    const v = item.value;
    // children beyond the budget would never be visited: do not stack them
    const room = Math.max(0, maxNodes - nodes - stack.length);
    if (Array.isArray(v)) {
      const path = itemsPath(item.path);
      for (let i = Math.min(v.length, room) - 1; i >= 0; i--) stack.push({ value: v[i], path, name: item.name });
    } else if (typeof v === 'object' && v !== null) {
      const keys = Object.keys(v);
      for (let i = Math.min(keys.length, room) - 1; i >= 0; i--) {
        const key = keys[i]!;
        const child = (v as Record<string, unknown>)[key];
        if (isIdLikeKey(key)) stack.push({ value: child, path: mapValuesPath(item.path), name: item.name });
        else stack.push({ value: child, path: propertyPath(item.path, key), name: key });
      }
    } else {
      classifyLeaf(recorder, v, item.path, item.name);
    }
  }
  return recorder.findings;
}

/** Scans JSON text, complete or cut short (the default), without building its value. */
export function scanJsonText(text: string, options?: ScanOptions & { isTruncated?: boolean }): SensitiveFindings {
  const recorder = recorderOf(options);
  const visit = (value: string | number, path: string, name: string | undefined) => classifyLeaf(recorder, value, path, name);
  walkJsonText(text, visit, options?.maxNodes ?? DEFAULT_MAX_NODES, options?.isTruncated ?? true);
  return recorder.findings;
}

function decodeFormComponent(raw: string): string {
  try {
    return decodeURIComponent(raw.replaceAll('+', ' '));
  } catch {
    return raw;
  }
}

/**
 * Scans application/x-www-form-urlencoded pairs (the WHATWG URL Standard's
 * parser; a query string is the same format). With `isTruncated`, the last
 * pair may be cut and is skipped.
 */
export function scanForm(text: string, options?: ScanOptions & { isTruncated?: boolean }): SensitiveFindings {
  const recorder = recorderOf(options);
  const maxNodes = options?.maxNodes ?? DEFAULT_MAX_NODES;
  const pairs = text.split('&', maxNodes + 1);
  const count = Math.min(pairs.length - (options?.isTruncated ? 1 : 0), maxNodes);
  for (let i = 0; i < count; i++) {
    const pair = pairs[i]!;
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const rawName = eq < 0 ? pair : pair.slice(0, eq);
    const rawValue = eq < 0 ? '' : pair.slice(eq + 1);
    const name = decodeFormComponent(rawName);
    let value = decodeFormComponent(rawValue);
    let cls: DataClass | null = null;
    if (rawValue.startsWith('+')) {
      // a "+" left unencoded is a space to the parser, but in practice the plus of a phone number
      const plus = `+${decodeFormComponent(rawValue.slice(1))}`;
      cls = classifyValue(plus, name);
      if (cls) value = plus;
    }
    cls ??= classifyValue(value, name);
    if (cls) record(recorder, cls, name, value);
  }
  return recorder.findings;
}

/** Scans a raw query string (without "?"). */
export function scanQuery(query: string, options?: ScanOptions): SensitiveFindings {
  return scanForm(query, options);
}

/**
 * Scans the segments of a path, each percent-decoded, each with the segment
 * before it as its field name ("/phone/+14155552671/status": the name is
 * "phone"). Places are "[i]", the index of the segment after the leading "/".
 */
export function scanPath(path: string, options?: ScanOptions): SensitiveFindings {
  const recorder = recorderOf(options);
  const maxNodes = options?.maxNodes ?? DEFAULT_MAX_NODES;
  const segments = path.split('/', maxNodes + 1);
  let previous: string | undefined;
  for (let i = 1; i < segments.length && i <= maxNodes; i++) {
    let segment = segments[i]!;
    try {
      segment = decodeURIComponent(segment);
    } catch {
      // keep the raw segment: a stray "%" is not a reason to skip it
    }
    const cls = classifyValue(segment, previous);
    if (cls) record(recorder, cls, `[${i - 1}]`, segment);
    previous = cls ? undefined : segment;
  }
  return recorder.findings;
}

function mediaTypeOf(contentType: string | null | undefined): string {
  if (!contentType) return '';
  const semicolon = contentType.indexOf(';');
  return (semicolon < 0 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
}

/** JSON by its media type (RFC 8259 §11, and the "+json" structured suffix of RFC 6839 §3.1). */
function isJsonMediaType(mediaType: string): boolean {
  return mediaType === 'application/json' || mediaType.endsWith('+json');
}

/**
 * Scans a body by its content type: JSON (parsed when complete, walked as
 * text when cut short or malformed), form-urlencoded; a body without a
 * content type is tried as JSON when it starts like JSON. Other types
 * (HTML, XML, text) are not scanned.
 */
export function scanText(text: string, contentType: string | null, options?: ScanOptions & { isTruncated?: boolean }): SensitiveFindings {
  const mediaType = mediaTypeOf(contentType);
  if (mediaType === 'application/x-www-form-urlencoded') return scanForm(text, options);
  const start = text.trimStart()[0];
  if (isJsonMediaType(mediaType) || (mediaType === '' && (start === '{' || start === '['))) {
    if (!options?.isTruncated) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        return scanJsonText(text, { ...options, isTruncated: false });
      }
      return scanJson(parsed, options);
    }
    return scanJsonText(text, options);
  }
  return new Map();
}

/** Scans a body sample from an ObservedRequest. */
export function scanBody(sample: BodySample, options?: ScanOptions): SensitiveFindings {
  return scanText(sample.text, sample.contentType, { ...options, isTruncated: sample.truncated });
}

/** Adds `from` into `into` (counts summed, paths and examples up to the caps); returns `into`. */
export function mergeFindings(into: SensitiveFindings, from: SensitiveFindings, options?: ScanOptions): SensitiveFindings {
  const maxPaths = options?.maxPaths ?? DEFAULT_MAX_PATHS;
  const maxExamples = options?.maxExamples ?? DEFAULT_MAX_EXAMPLES;
  for (const [cls, finding] of from) {
    let target = into.get(cls);
    if (!target) into.set(cls, target = { count: 0, paths: [], examples: [] });
    target.count += finding.count;
    for (const p of finding.paths) if (target.paths.length < maxPaths && !target.paths.includes(p)) target.paths.push(p);
    for (const e of finding.examples) if (target.examples.length < maxExamples && !target.examples.includes(e)) target.examples.push(e);
  }
  return into;
}
