/** Shared by the audit tests: fixture paths and a one-call audit of a fixture. */

import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { auditDocument } from './audit.ts';
import type { AuditOptions } from './audit.ts';
import { loadAuditDocument } from './load.ts';
import type { Finding, FindingId } from './types.ts';

export const FIXTURES = fileURLToPath(new URL('../../test/fixtures/audit/', import.meta.url));

export function fixture(name: string): string {
  return join(FIXTURES, name);
}

/** Every finding of a fixture (all severities), locations relative to the fixtures folder. */
export async function auditFixture(name: string, options: AuditOptions = {}): Promise<Finding[]> {
  const document = await loadAuditDocument(fixture(name));
  // The document is given relative to the fixtures folder, as a user would.
  document.file = name;
  return auditDocument(document, { cwd: FIXTURES, ...options });
}

export function withId(findings: readonly Finding[], id: FindingId): Finding[] {
  return findings.filter((f) => f.id === id);
}

/** "severity subject" per finding of one id, sorted: compact to compare with deepEqual. */
export function summary(findings: readonly Finding[], id: FindingId): string[] {
  return withId(findings, id).map((f) => `${f.severity} ${f.operation ?? f.operations?.join(', ') ?? ''}`).sort();
}
