/** Severity order: critical is the highest. */
import { SEVERITIES, type Severity } from './types.ts';

const RANK: Readonly<Record<Severity, number>> = { critical: 4, high: 3, medium: 2, low: 1, info: 0 };

export function isSeverity(value: unknown): value is Severity {
  return typeof value === 'string' && (SEVERITIES as readonly string[]).includes(value);
}

export function severityRank(severity: Severity): number {
  return RANK[severity];
}

export function maxSeverity(a: Severity, b: Severity): Severity {
  return RANK[a] >= RANK[b] ? a : b;
}

/** True when `severity` is `min` or higher. */
export function isAtLeast(severity: Severity, min: Severity): boolean {
  return RANK[severity] >= RANK[min];
}
