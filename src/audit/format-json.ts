/**
 * `--format json`: the AuditReport (types.ts) as is, two-space indented.
 *
 * The shape, version 1 (fields are only ever added):
 *
 * ```
 * {
 *   "version": 1,
 *   "tool": { "name": "apiwarden", "version": "0.1.0" },
 *   "documents": [
 *     { "file": "api.yaml", "format": "openapi-3.0", "title": "Shop", "version": "2.1", "operations": 44 }
 *   ],
 *   "findings": [
 *     {
 *       "id": "auth.missing",                       // see rules.ts
 *       "severity": "critical",                     // critical | high | medium | low | info
 *       "message": "GET /accounts/{phone} has no security requirement ...",
 *       "location": {
 *         "document": "api.yaml",                   // the document as given
 *         "pointer": "/paths/~1accounts~1{phone}/get", // RFC 6901, into the dereferenced document
 *         "file": "paths/accounts.yaml",            // where the node is written ($refs followed)
 *         "line": 3, "column": 1                    // 1-based; absent when unknown
 *       },
 *       "operation": "GET /accounts/{phone}",       // per-operation findings
 *       "operations": ["GET /a", "POST /b"],        // findings about a scheme, a server, or a group
 *       "live": { "calls": 1203, "status2xx": 1180, "lastSeen": 1767225600000 } // only with traffic
 *     }
 *   ],
 *   "summary": {
 *     "total": 7,
 *     "bySeverity": { "critical": 1, "high": 2, "medium": 0, "low": 3, "info": 1 },
 *     "live": 2,
 *     "hidden": 264                                 // below --min-severity, not in "findings"
 *   }
 * }
 * ```
 *
 * Findings are sorted per document (in the order given), by severity, live
 * (most calls) first within a severity, then by position.
 */

import type { AuditReport } from './types.ts';

export function formatJson(report: AuditReport): string {
  return JSON.stringify(report, null, 2);
}
