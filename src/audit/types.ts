/**
 * `apiwarden audit`: governance findings on OpenAPI / Swagger documents.
 *
 * The shapes here are the stable JSON output (`--format json`, see
 * format-json.ts): fields are only ever added, never renamed or retyped, and
 * `AuditReport.version` changes if that promise has to be broken.
 */

/** Most severe first: the order used for sorting and for `--fail-on`. */
export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Rank of a severity: 0 for critical, 4 for info. */
export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

export function isSeverity(value: string): value is Severity {
  return (SEVERITIES as readonly string[]).includes(value);
}

/** true when `severity` is `threshold` or more severe */
export function isAtLeast(severity: Severity, threshold: Severity): boolean {
  return severityRank(severity) <= severityRank(threshold);
}

/** The finding ids; `RULES` in rules.ts describes each one. */
export const FINDING_IDS = [
  'auth.missing',
  'auth.anonymous',
  'auth.api-key-in-query',
  'auth.api-key-in-cookie',
  'auth.credential-in-url',
  'auth.undefined-scheme',
  'auth.undefined-scope',
  'auth.basic-over-http',
  'auth.oauth2-implicit',
  'transport.http-server',
  'lifecycle.no-sunset',
  'responses.no-401-403',
  'responses.no-429',
  'data.sensitive-response',
] as const;
export type FindingId = (typeof FINDING_IDS)[number];

/** Where a finding is. */
export interface FindingLocation {
  /** the audited document, as given (relative paths stay relative) */
  document: string;
  /**
   * JSON Pointer (RFC 6901) into the document with every `$ref` resolved,
   * e.g. "/paths/~1users~1{id}/get/security"
   */
  pointer: string;
  /**
   * the file where the node is written: the document itself, or a file its
   * `$ref`s lead to (split documents); same spelling convention as `document`
   */
  file: string;
  /** 1-based; absent when the position could not be found (e.g. behind a remote $ref) */
  line?: number;
  /** 1-based, in characters */
  column?: number;
}

/** Traffic the gateway recorded for the operations of a finding (see live.ts). */
export interface LiveTraffic {
  /** requests recorded */
  calls: number;
  /** of which answered 2xx */
  status2xx: number;
  /** epoch ms of the most recent one */
  lastSeen: number;
}

export interface Finding {
  id: FindingId;
  severity: Severity;
  /** one sentence, names the operation or scheme; no trailing period */
  message: string;
  location: FindingLocation;
  /** "METHOD /template" when the finding is about one operation */
  operation?: string;
  /**
   * every operation concerned when the finding is about several (a scheme,
   * a server, a grouped response check), as "METHOD /template"
   */
  operations?: string[];
  /** present when apiwarden has seen traffic to the operation(s) (`--db` / `--config`) */
  live?: LiveTraffic;
}

/** One audited document. */
export interface AuditedDocument {
  /** as given */
  file: string;
  format: 'openapi-3.0' | 'openapi-3.1' | 'swagger-2.0';
  title: string;
  version: string;
  /** operations audited (method + path, whatever the number of servers) */
  operations: number;
}

export interface AuditSummary {
  /** findings in `findings` (after --min-severity) */
  total: number;
  bySeverity: Record<Severity, number>;
  /** findings with traffic */
  live: number;
  /** findings below --min-severity, left out of `findings` (they still count for --fail-on) */
  hidden: number;
}

export interface AuditReport {
  /** version of this JSON shape */
  version: 1;
  tool: { name: 'apiwarden'; version: string };
  documents: AuditedDocument[];
  /** sorted: document order, then severity, then live before not live, then position */
  findings: Finding[];
  summary: AuditSummary;
}
