/**
 * PagerDuty Events API v2 (`POST /v2/enqueue`).
 *
 *   firing, repeat → event_action "trigger"  (a repeat trigger with the same
 *                    dedup_key only adds to the open incident's log)
 *   acknowledged   → "acknowledge"
 *   resolved       → "resolve"
 *   digest         → "trigger" with the fixed dedup_key `apiwarden:storm`:
 *                    suppressed notifications may include critical ones that
 *                    would have paged, so the storm itself pages, once.
 *
 * dedup_key is the alert fingerprint; payload (trigger only, as the API
 * requires): summary ≤ 1024 characters, source, severity (critical, error,
 * warning or info), timestamp, component, group, class, custom_details.
 * The routing key travels in the body; it is scrubbed from every log line.
 */
import type { Dispatcher } from 'undici';
import { hostname } from 'node:os';
import { postJson } from './http-post.ts';
import { describe, iso, linkFor, titleOf } from './render.ts';
import type { Notification, Severity, Sink } from './types.ts';

export interface PagerDutySinkOptions {
  name?: string;
  /** default https://events.pagerduty.com/v2/enqueue */
  url?: string;
  /** the integration's routing key; never logged */
  routingKey: string;
  /** payload.source: the affected system (default: this host's name) */
  source?: string;
  /** a link to the alert, e.g. "https://warden.example.com/alerts/{fingerprint}" */
  link?: string | null;
  timeoutMs?: number;
  dispatcher?: Dispatcher;
}

export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';
export const STORM_DEDUP_KEY = 'apiwarden:storm';
/** The API's four levels: high → error, and both low and info → info (PagerDuty's "low urgency" end). */
export const PAGERDUTY_SEVERITY: Record<Severity, 'critical' | 'error' | 'warning' | 'info'> = {
  critical: 'critical',
  high: 'error',
  medium: 'warning',
  low: 'info',
  info: 'info',
};
const SUMMARY_MAX = 1024;
const DEDUP_KEY_MAX = 255;

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function pagerDutyEventOf(n: Notification, o: { routingKey: string; source: string; link: string | null }): Record<string, unknown> {
  const client = { client: 'apiwarden' };
  if (n.kind === 'digest') {
    return {
      routing_key: o.routingKey,
      event_action: 'trigger',
      dedup_key: STORM_DEDUP_KEY,
      ...client,
      payload: {
        summary: clip(titleOf(n), SUMMARY_MAX),
        source: o.source,
        severity: PAGERDUTY_SEVERITY[n.severity],
        timestamp: iso(n.time),
        component: 'alerts',
        group: 'apiwarden',
        class: 'notification-storm',
        custom_details: { suppressed: n.suppressed, windowStart: iso(n.windowStart), byRule: n.byRule, description: describe(n) },
      },
    };
  }
  const a = n.alert;
  const dedup = clip(a.fingerprint, DEDUP_KEY_MAX);
  if (n.kind === 'resolved' || n.kind === 'acknowledged') {
    return { routing_key: o.routingKey, event_action: n.kind === 'resolved' ? 'resolve' : 'acknowledge', dedup_key: dedup };
  }
  const link = linkFor(o.link, a.fingerprint);
  return {
    routing_key: o.routingKey,
    event_action: 'trigger',
    dedup_key: dedup,
    ...client,
    ...(link ? { client_url: link, links: [{ href: link, text: 'apiwarden alert' }] } : {}),
    payload: {
      summary: clip(a.summary, SUMMARY_MAX),
      source: o.source,
      severity: PAGERDUTY_SEVERITY[a.severity],
      timestamp: iso(n.time),
      component: a.labels.operation ?? a.labels.endpoint ?? a.rule,
      group: a.labels.upstream ?? a.labels.api ?? 'apiwarden',
      class: a.rule,
      custom_details: {
        fingerprint: a.fingerprint,
        rule: a.rule,
        severity: a.severity,
        signals: a.count,
        startsAt: iso(a.startsAt),
        lastSeenAt: iso(a.lastSeenAt),
        labels: a.labels,
        topIdentities: a.evidence.topIdentities,
        counts: a.evidence.counts,
        exampleRequests: a.evidence.exampleRequests.slice(0, 5).map((r) => ({ ...r, time: iso(r.time) })),
        ...(a.acknowledgedBy !== null ? { acknowledgedBy: a.acknowledgedBy } : {}),
      },
    },
  };
}

export function createPagerDutySink(options: PagerDutySinkOptions): Sink {
  const url = options.url ?? PAGERDUTY_EVENTS_URL;
  const o = { routingKey: options.routingKey, source: options.source ?? hostname(), link: options.link ?? null };
  const timeoutMs = options.timeoutMs ?? 10_000;
  return {
    name: options.name ?? 'pagerduty',
    redact: [options.routingKey],
    async send(n) {
      await postJson(url, JSON.stringify(pagerDutyEventOf(n, o)), { timeoutMs, dispatcher: options.dispatcher });
    },
  };
}
