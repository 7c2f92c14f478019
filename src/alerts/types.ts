/**
 * The data of the alerts module: what detection emits (`AlertSignal`), what
 * the lifecycle keeps (`Alert`), what it hands to the sinks (`Notification`)
 * and the one interface every sink implements (`Sink`).
 *
 * Times are epoch milliseconds everywhere; sinks format them for their
 * receiver (RFC 3339 for JSON, epoch ms for CEF `rt`).
 */

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface EvidenceIdentity {
  /** 'ip', 'subnet', 'apiKey', 'principal', … */
  kind: string;
  /** already masked by the caller */
  value: string;
  count: number;
}

export interface ExampleRequest {
  time: number;
  method: string;
  /** the request target (path and query), already masked by the caller */
  target: string;
  status: number;
  clientIp: string;
}

export interface Evidence {
  topIdentities: EvidenceIdentity[];
  /** e.g. { requests: 5120, addresses: 412, misses: 4864 } */
  counts: Record<string, number>;
  exampleRequests: ExampleRequest[];
}

/** What detection emits each time a rule evaluates as firing. */
export interface AlertSignal {
  /** the rule's name, e.g. 'distributed-enumeration' */
  rule: string;
  severity: Severity;
  /** rule, operation, identity kind/value, …; the manager's groupBy picks from these */
  labels: Record<string, string>;
  /** one line */
  summary: string;
  evidence: Evidence;
  time: number;
}

export type AlertStatus = 'firing' | 'resolved';

export interface Alert {
  /** stable hash of the rule and the sorted grouping labels */
  fingerprint: string;
  rule: string;
  status: AlertStatus;
  /** the highest severity seen since the alert started */
  severity: Severity;
  /** the latest signal's summary */
  summary: string;
  /** the labels that make this alert (the manager's groupBy), as in the fingerprint */
  groupLabels: Readonly<Record<string, string>>;
  /** all labels of the latest signal */
  labels: Readonly<Record<string, string>>;
  startsAt: number;
  lastSeenAt: number;
  /** when the alert was resolved; null while firing */
  endsAt: number | null;
  /** signals received */
  count: number;
  acknowledgedAt: number | null;
  acknowledgedBy: string | null;
  /** who resolved it by hand; null when it resolved after silence (or is still firing) */
  resolvedBy: string | null;
  /** the latest signal's evidence */
  evidence: Evidence;
}

export type AlertNotificationKind = 'firing' | 'repeat' | 'resolved' | 'acknowledged';
export type NotificationKind = AlertNotificationKind | 'digest';
export const NOTIFICATION_KINDS: readonly NotificationKind[] = ['firing', 'repeat', 'resolved', 'acknowledged', 'digest'];

export interface AlertNotification {
  /** one id per notification, the same on every delivery attempt (receivers can drop retried duplicates) */
  id: string;
  kind: AlertNotificationKind;
  time: number;
  /** a snapshot: later signals do not change it */
  alert: Readonly<Alert>;
  /**
   * While firing: the time by which the manager will have sent another
   * notification for this alert (a repeat, with one repeat of slack). Receivers
   * that expire alerts on their own (Alertmanager's endsAt) use it. Null once
   * resolved.
   */
  validUntil: number | null;
}

/** "N more alert notifications suppressed": one per minute at most, while the storm throttle is refusing. */
export interface DigestNotification {
  id: string;
  kind: 'digest';
  time: number;
  /** notifications withheld in the window */
  suppressed: number;
  windowStart: number;
  /** suppressed notifications per rule (at most 20 rules; the rest under '…') */
  byRule: Readonly<Record<string, number>>;
  /** the highest severity among the suppressed notifications */
  severity: Severity;
}

export type Notification = AlertNotification | DigestNotification;

/** A destination. `send` is one delivery attempt; retries, queueing and logging are delivery.ts's job. */
export interface Sink {
  readonly name: string;
  /** the kinds this sink can express; others are never queued for it (default: all) */
  readonly kinds?: readonly NotificationKind[];
  /**
   * Strings that must never appear in a log line or error about this sink
   * (HMAC keys, passwords, routing keys, secret URLs); delivery scrubs them.
   */
  readonly redact?: readonly string[];
  send(notification: Notification): Promise<void>;
  close?(): Promise<void> | void;
}

/** What the module logs through; pino's Logger fits. */
export interface AlertLogger {
  warn(detail: Record<string, unknown>, message: string): void;
  error(detail: Record<string, unknown>, message: string): void;
}
