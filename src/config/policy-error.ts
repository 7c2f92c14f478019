/**
 * The error a policy file that cannot be used raises: every problem found,
 * each with its position, rendered one per line as
 * `apiwarden.yaml:12:7: upstreams[0].url: must be an http:// or https:// URL`.
 */
import { relative } from 'node:path';
import { ApiwardenError } from '../errors.ts';

export interface PolicyProblem {
  /** absolute path of the policy file */
  file: string;
  /** 1-based; 0 when the problem has no position (the file cannot be read) */
  line: number;
  /** 1-based; 0 when the problem has no position */
  column: number;
  /** readable path of the setting, e.g. `upstreams[0].retired[1].sunset`; '' for the file itself */
  field: string;
  message: string;
}

/** The file as the user would type it: relative to the working directory when that is shorter. */
function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && rel.length < file.length ? rel : file;
}

export function formatProblem(problem: PolicyProblem): string {
  const position = problem.line > 0 ? `:${problem.line}:${problem.column}` : '';
  const field = problem.field ? `${problem.field}: ` : '';
  return `${displayPath(problem.file)}${position}: ${field}${problem.message}`;
}

export class PolicyError extends ApiwardenError {
  /** the first problem's position (problems are sorted by position) */
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly field: string;
  readonly problems: PolicyProblem[];

  constructor(problems: PolicyProblem[], options?: { cause?: unknown }) {
    if (problems.length === 0) throw new TypeError('PolicyError needs at least one problem');
    const sorted = [...problems].sort((a, b) => a.line - b.line || a.column - b.column);
    super('CONFIG_INVALID', sorted.map(formatProblem).join('\n'), options);
    this.name = 'PolicyError';
    const first = sorted[0]!;
    this.file = first.file;
    this.line = first.line;
    this.column = first.column;
    this.field = first.field;
    this.problems = sorted;
  }
}

/** `upstreams[0].retired[1].sunset` from ['upstreams', 0, 'retired', 1, 'sunset']. */
export function fieldName(path: readonly (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
    }
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * The closest candidate, if close enough to be a typo. Case, '-' and '_' are
 * ignored first, so `path_prefix` and `PathPrefix` find `pathPrefix`.
 */
export function didYouMean(input: string, candidates: readonly string[]): string | undefined {
  const squash = (s: string) => s.toLowerCase().replace(/[-_]/g, '');
  const wanted = squash(input);
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(wanted.length / 3)) + 1;
  for (const candidate of candidates) {
    const d = distance(wanted, squash(candidate));
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** A value as a user would recognise it in a message: `the string "8080x"`, `a list`. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Date) return `the date ${value.toISOString()}`;
  switch (typeof value) {
    case 'string':
      return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
    case 'number':
      return Number.isInteger(value) ? `the integer ${value}` : `the number ${value}`;
    case 'boolean':
      return `the boolean ${value}`;
    case 'object':
      return 'a mapping';
    default:
      return `a ${typeof value}`;
  }
}
