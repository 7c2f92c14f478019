/**
 * Checking and copying a signal as it enters the manager. Detection is our
 * own code, but a signal carries attacker-chosen text (targets, identities),
 * and every sink has a size limit (PagerDuty 512 KB, a syslog datagram, a
 * Slack block): bounding here once keeps every sink's payload small and
 * keeps a later mutation by the caller from changing a stored alert.
 */
import { isSeverity } from './severity.ts';
import type { AlertSignal, Evidence } from './types.ts';

export const SIGNAL_LIMITS = {
  ruleChars: 200,
  summaryChars: 1024,
  labels: 32,
  labelNameChars: 100,
  labelValueChars: 512,
  textChars: 512,
  targetChars: 2048,
  topIdentities: 20,
  counts: 32,
  exampleRequests: 10,
} as const;

export type SignalCheck = { ok: true; signal: AlertSignal } | { ok: false; reason: string };

function clip(text: unknown, max: number): string {
  const s = typeof text === 'string' ? text : String(text ?? '');
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** One line: summaries become subjects, syslog MSG and header fields, where a line break would forge a new line. */
function oneLine(text: string): string {
  return text.replace(/[\r\n\u2028\u2029]+/g, ' ');
}

function finite(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

function copyEvidence(raw: Partial<Evidence> | undefined): Evidence {
  const L = SIGNAL_LIMITS;
  const identities = Array.isArray(raw?.topIdentities) ? raw.topIdentities.slice(0, L.topIdentities) : [];
  const requests = Array.isArray(raw?.exampleRequests) ? raw.exampleRequests.slice(0, L.exampleRequests) : [];
  const counts: Record<string, number> = {};
  for (const [name, value] of Object.entries(raw?.counts ?? {}).slice(0, L.counts)) counts[clip(name, L.labelNameChars)] = finite(value);
  return {
    topIdentities: identities.map((i) => ({ kind: clip(i?.kind, L.labelNameChars), value: clip(i?.value, L.textChars), count: finite(i?.count) })),
    counts,
    exampleRequests: requests.map((r) => ({
      time: finite(r?.time),
      method: clip(r?.method, 16),
      target: clip(r?.target, L.targetChars),
      status: finite(r?.status),
      clientIp: clip(r?.clientIp, 64),
    })),
  };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** A bounded copy of the signal, or why it cannot be used. `now` stands in for a missing time. */
export function checkSignal(raw: AlertSignal, now: number): SignalCheck {
  if (raw === null || typeof raw !== 'object') return { ok: false, reason: 'not an object' };
  if (typeof raw.rule !== 'string' || raw.rule === '') return { ok: false, reason: 'rule must be a non-empty string' };
  if (!isSeverity(raw.severity)) return { ok: false, reason: `unknown severity ${JSON.stringify(raw.severity)}` };
  const L = SIGNAL_LIMITS;
  const labels: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw.labels ?? {}).slice(0, L.labels)) {
    if (typeof value === 'string') labels[clip(name, L.labelNameChars)] = clip(value, L.labelValueChars);
  }
  // Frozen: alerts and notification snapshots share these objects, so no sink can change what another sees.
  return {
    ok: true,
    signal: {
      rule: clip(oneLine(raw.rule), L.ruleChars),
      severity: raw.severity,
      labels: Object.freeze(labels),
      summary: clip(oneLine(typeof raw.summary === 'string' ? raw.summary : raw.rule), L.summaryChars),
      evidence: deepFreeze(copyEvidence(raw.evidence)),
      time: typeof raw.time === 'number' && Number.isFinite(raw.time) ? raw.time : now,
    },
  };
}
