/**
 * Prometheus Alertmanager API v2: `POST /api/v2/alerts` with an array of
 * postable alerts { labels, annotations, startsAt, endsAt, generatorURL }.
 *
 * Alertmanager identifies an alert by its label set, so the labels are only
 * what identifies ours: alertname (the rule), severity, fingerprint and the
 * grouping labels (names made valid: [a-zA-Z_][a-zA-Z0-9_]*). Everything
 * else goes into the annotations.
 *
 * endsAt: on 'resolved', the time it resolved. While firing, Alertmanager
 * would resolve an alert without endsAt after its resolve_timeout (5 min by
 * default), but we re-notify only every repeat interval; so, like Prometheus
 * (which sends endsAt a few evaluation intervals ahead), we send the
 * notification's validUntil. When an alert's severity rises, its label set
 * changes; the old set is resolved in the same request so that it does not
 * linger as a second alert.
 */
import type { Dispatcher } from 'undici';
import { postJson } from './http-post.ts';
import { describe, iso, linkFor, titleOf } from './render.ts';
import type { Alert, Notification, Severity, Sink } from './types.ts';

export interface AlertmanagerSinkOptions {
  name?: string;
  /** the Alertmanager base URL, e.g. http://alertmanager:9093 */
  url: string;
  /** generatorURL, e.g. "https://warden.example.com/alerts/{fingerprint}" (omitted when not set) */
  link?: string | null;
  timeoutMs?: number;
  dispatcher?: Dispatcher;
}

export const STORM_ALERTNAME = 'ApiwardenNotificationStorm';
const RESERVED = new Set(['alertname', 'severity', 'fingerprint']);
/** how long a digest stays active in Alertmanager: it describes a past minute, but someone should see it */
const DIGEST_ACTIVE_MS = 60 * 60_000;
/** the last severity posted per fingerprint, to resolve the old label set after a rise; bounded */
const MAX_TRACKED = 10_000;

interface PostableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt?: string;
  generatorURL?: string;
}

/** A valid Alertmanager label name (the classic Prometheus rule: [a-zA-Z_][a-zA-Z0-9_]*). */
export function labelName(name: string): string {
  const cleaned = name.replace(/[^a-zA-Z0-9_]/g, '_');
  const valid = /^[a-zA-Z_]/.test(cleaned) ? cleaned : `_${cleaned}`;
  return RESERVED.has(valid) ? `label_${valid}` : valid;
}

function labelsOf(a: Alert, severity: Severity): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [name, value] of Object.entries(a.groupLabels)) if (value !== '') labels[labelName(name)] = value;
  return { ...labels, alertname: a.rule, severity, fingerprint: a.fingerprint };
}

export function alertmanagerAlertsOf(n: Notification, linkTemplate: string | null, previousSeverity: Severity | undefined): PostableAlert[] {
  if (n.kind === 'digest') {
    return [{
      labels: { alertname: STORM_ALERTNAME, severity: n.severity },
      annotations: { summary: titleOf(n), description: describe(n) },
      startsAt: iso(n.windowStart),
      endsAt: iso(n.time + DIGEST_ACTIVE_MS),
    }];
  }
  const a = n.alert;
  const link = linkFor(linkTemplate, a.fingerprint);
  const alert: PostableAlert = {
    labels: labelsOf(a, a.severity),
    annotations: { summary: a.summary, description: describe(n, link), ...(a.acknowledgedBy ? { acknowledged_by: a.acknowledgedBy } : {}) },
    startsAt: iso(a.startsAt),
    ...(link ? { generatorURL: link } : {}),
  };
  if (n.kind === 'resolved') alert.endsAt = iso(a.endsAt ?? n.time);
  else if (n.validUntil !== null) alert.endsAt = iso(n.validUntil);
  const out = [alert];
  if (previousSeverity !== undefined && previousSeverity !== a.severity) {
    out.push({ ...alert, labels: labelsOf(a, previousSeverity), endsAt: iso(n.time) });
  }
  return out;
}

export function createAlertmanagerSink(options: AlertmanagerSinkOptions): Sink {
  const endpoint = `${options.url.replace(/\/+$/, '')}/api/v2/alerts`;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const posted = new Map<string, Severity>();
  return {
    name: options.name ?? 'alertmanager',
    // Alertmanager has no acknowledgement; an acknowledged alert is still firing there
    kinds: ['firing', 'repeat', 'resolved', 'digest'],
    async send(n) {
      const fingerprint = n.kind === 'digest' ? null : n.alert.fingerprint;
      const previous = fingerprint === null ? undefined : posted.get(fingerprint);
      await postJson(endpoint, JSON.stringify(alertmanagerAlertsOf(n, options.link ?? null, previous)), { timeoutMs, dispatcher: options.dispatcher });
      if (n.kind === 'digest' || fingerprint === null) return;
      posted.delete(fingerprint);
      if (n.kind !== 'resolved') {
        posted.set(fingerprint, n.alert.severity);
        if (posted.size > MAX_TRACKED) posted.delete(posted.keys().next().value!);
      }
    },
  };
}
