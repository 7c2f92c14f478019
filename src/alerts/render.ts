/**
 * Text that people read, shared by the sinks: a title, the evidence as
 * lines, a link. Plain text only; each sink escapes for its own format
 * (HTML for e-mail, CEF for syslog, nothing for Slack's plain_text).
 */
import type { AlertNotification, DigestNotification, Evidence, Notification } from './types.ts';

const STATE: Record<AlertNotification['kind'], string> = {
  firing: 'FIRING',
  repeat: 'STILL FIRING',
  resolved: 'RESOLVED',
  acknowledged: 'ACKNOWLEDGED',
};

export function iso(time: number): string {
  return Number.isFinite(time) ? new Date(time).toISOString() : String(time);
}

/** "[CRITICAL] FIRING: distributed enumeration on …" */
export function titleOf(n: Notification): string {
  if (n.kind === 'digest') return `[${n.severity.toUpperCase()}] ${digestLine(n)}`;
  return `[${n.alert.severity.toUpperCase()}] ${STATE[n.kind]}: ${n.alert.summary}`;
}

export function digestLine(n: DigestNotification): string {
  return `${n.suppressed} more alert notification${n.suppressed === 1 ? '' : 's'} suppressed (storm throttle)`;
}

export function identitiesLine(evidence: Evidence): string {
  return evidence.topIdentities.map((i) => `${i.kind} ${i.value} (${i.count})`).join(', ');
}

export function countsLine(evidence: Evidence): string {
  return Object.entries(evidence.counts).map(([k, v]) => `${k}=${v}`).join(', ');
}

export function requestLines(evidence: Evidence, max = 5): string[] {
  return evidence.exampleRequests.slice(0, max).map((r) => `${iso(r.time)} ${r.clientIp} ${r.method} ${r.target} → ${r.status}`);
}

/** The link template with {fingerprint} filled in, or null when no link is configured. */
export function linkFor(template: string | null | undefined, fingerprint: string): string | null {
  return template ? template.replaceAll('{fingerprint}', encodeURIComponent(fingerprint)) : null;
}

/** Several lines: what a description field or a text body says. */
export function describe(n: Notification, link: string | null = null): string {
  if (n.kind === 'digest') {
    const rules = Object.entries(n.byRule).map(([rule, count]) => `  ${rule}: ${count}`);
    return [`${digestLine(n)} since ${iso(n.windowStart)}.`, 'By rule:', ...rules, 'The alerts themselves are kept: see the alert list.'].join('\n');
  }
  const a = n.alert;
  const lines = [
    a.summary,
    '',
    `Rule: ${a.rule}`,
    `Severity: ${a.severity}`,
    `Status: ${STATE[n.kind].toLowerCase()}${a.resolvedBy ? ` by ${a.resolvedBy}` : ''}`,
    `Started: ${iso(a.startsAt)}   Last seen: ${iso(a.lastSeenAt)}${a.endsAt === null ? '' : `   Ended: ${iso(a.endsAt)}`}`,
    `Signals: ${a.count}`,
  ];
  if (a.acknowledgedBy !== null) lines.push(`Acknowledged by ${a.acknowledgedBy} at ${iso(a.acknowledgedAt ?? 0)}`);
  const labels = Object.entries(a.labels).map(([k, v]) => `${k}=${v}`).join(', ');
  if (labels) lines.push(`Labels: ${labels}`);
  if (a.evidence.topIdentities.length > 0) lines.push(`Top identities: ${identitiesLine(a.evidence)}`);
  if (Object.keys(a.evidence.counts).length > 0) lines.push(`Counts: ${countsLine(a.evidence)}`);
  const requests = requestLines(a.evidence);
  if (requests.length > 0) lines.push('Example requests:', ...requests.map((r) => `  ${r}`));
  lines.push(`Fingerprint: ${a.fingerprint}`);
  if (link) lines.push(`Details: ${link}`);
  return lines.join('\n');
}

/** The JSON document of the generic webhook: times as RFC 3339 strings, a version for receivers to check. */
export function jsonPayloadOf(n: Notification): Record<string, unknown> {
  const base = { version: 1, id: n.id, kind: n.kind, time: iso(n.time) };
  if (n.kind === 'digest') {
    return { ...base, digest: { suppressed: n.suppressed, windowStart: iso(n.windowStart), byRule: n.byRule, severity: n.severity } };
  }
  const a = n.alert;
  return {
    ...base,
    alert: {
      fingerprint: a.fingerprint,
      rule: a.rule,
      status: a.status,
      severity: a.severity,
      summary: a.summary,
      groupLabels: a.groupLabels,
      labels: a.labels,
      startsAt: iso(a.startsAt),
      lastSeenAt: iso(a.lastSeenAt),
      endsAt: a.endsAt === null ? null : iso(a.endsAt),
      count: a.count,
      acknowledgedAt: a.acknowledgedAt === null ? null : iso(a.acknowledgedAt),
      acknowledgedBy: a.acknowledgedBy,
      resolvedBy: a.resolvedBy,
      evidence: {
        ...a.evidence,
        exampleRequests: a.evidence.exampleRequests.map((r) => ({ ...r, time: iso(r.time) })),
      },
    },
  };
}
