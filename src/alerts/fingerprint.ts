/**
 * The alert identity: a stable hash of the rule and the grouping labels,
 * sorted by name so that the order labels were written in never matters.
 * 64 bits of SHA-256, hex, like Alertmanager's 16-hex-digit fingerprints:
 * collisions need ~4·10^9 alerts, far past what one manager holds.
 */
import { createHash } from 'node:crypto';

/** The groupBy labels a signal carries, by name; a missing label is left out (not ''), so it cannot collide with an empty value. */
export function groupLabelsOf(labels: Readonly<Record<string, string>>, groupBy: readonly string[]): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of groupBy) {
    const value = labels[name];
    if (typeof value === 'string') picked[name] = value;
  }
  return picked;
}

export function fingerprintOf(rule: string, groupLabels: Readonly<Record<string, string>>): string {
  const pairs = Object.entries(groupLabels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  // JSON keeps the parts apart: no separator character inside a value can shift one label into the next.
  return createHash('sha256').update(JSON.stringify([rule, pairs])).digest('hex').slice(0, 16);
}
