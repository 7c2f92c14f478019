/**
 * Syslog messages as RFC 5424 lays them out, and the octet-counting frame
 * of RFC 6587 §3.4.1 for stream transports:
 *
 *   <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA MSG
 *   frame = MSG-LEN SP SYSLOG-MSG
 *
 * No structured data ("-"): an SD-ID of our own would need an IANA
 * enterprise number; the CEF payload carries the fields. MSG is sent without
 * the UTF-8 BOM that §6.4 allows: SIEM parsers look for "CEF:" at the start.
 */

/** RFC 5424 §6.2.1 facility codes. */
export const FACILITIES = {
  kern: 0, user: 1, mail: 2, daemon: 3, auth: 4, syslog: 5, lpr: 6, news: 7, uucp: 8, cron: 9, authpriv: 10, ftp: 11,
  ntp: 12, audit: 13, alert: 14, clock: 15, local0: 16, local1: 17, local2: 18, local3: 19, local4: 20, local5: 21, local6: 22, local7: 23,
} as const;
export type FacilityName = keyof typeof FACILITIES;

/** RFC 5424 §6.2.1 severities. */
export const SYSLOG_SEVERITY = { emergency: 0, alert: 1, critical: 2, error: 3, warning: 4, notice: 5, informational: 6, debug: 7 } as const;

export interface SyslogHeader {
  facility: number;
  severity: number;
  time: number;
  hostname: string;
  appName: string;
  procId: string;
  msgId: string;
}

/** A header field: PRINTUSASCII (33-126), at most `max` characters, "-" when empty (§6.2). */
export function headerField(value: string, max: number): string {
  const cleaned = value.replace(/[^\x21-\x7e]/g, '').slice(0, max);
  return cleaned === '' ? '-' : cleaned;
}

export function formatRfc5424(h: SyslogHeader, msg: string): string {
  const pri = h.facility * 8 + h.severity;
  // §6.2.3: an RFC 3339 timestamp; toISOString gives UTC with milliseconds, which the grammar allows
  const timestamp = Number.isFinite(h.time) ? new Date(h.time).toISOString() : '-';
  return `<${pri}>1 ${timestamp} ${headerField(h.hostname, 255)} ${headerField(h.appName, 48)} ${headerField(h.procId, 128)} ${headerField(h.msgId, 32)} - ${msg}`;
}

/** RFC 6587 §3.4.1 octet counting: the length is in octets (UTF-8 bytes), not characters. */
export function frameOctetCounted(message: string): Buffer {
  const body = Buffer.from(message, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} `, 'ascii'), body]);
}
