/**
 * E-mail over SMTP with nodemailer (MIME, encodings, STARTTLS and AUTH are
 * its job, not ours). One message per notification: the subject carries the
 * severity and the summary; a text body and an HTML body carry the evidence,
 * every value HTML-escaped (request targets and identities are
 * attacker-chosen). Messages of one alert thread together: the 'firing'
 * message has a Message-ID made from the fingerprint and start time, and the
 * later ones refer to it.
 *
 * The SMTP password goes to nodemailer only; its logger is off, and errors
 * are rebuilt from the message text, which delivery scrubs again.
 */
import { createTransport } from 'nodemailer';
import { describe, identitiesLine, countsLine, iso, linkFor, requestLines, titleOf } from './render.ts';
import { SinkError } from './sink-error.ts';
import type { Notification, Sink } from './types.ts';

export interface EmailSinkOptions {
  name?: string;
  host: string;
  /** default 587, or 465 when `secure` */
  port?: number;
  /** true: TLS from the first byte (port 465); false: STARTTLS when the server offers it (default false) */
  secure?: boolean;
  /** refuse to send unless STARTTLS succeeds (default true when a password is set: never send it in clear) */
  requireTls?: boolean;
  user?: string;
  /** never logged */
  password?: string;
  from: string;
  to: readonly string[];
  /** a link to the alert, e.g. "https://warden.example.com/alerts/{fingerprint}" */
  link?: string | null;
  timeoutMs?: number;
  /** passed to TLS (e.g. { rejectUnauthorized: false } for a test server; never in production) */
  tls?: { rejectUnauthorized?: boolean; servername?: string };
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function htmlOf(n: Notification, link: string | null): string {
  const h = escapeHtml;
  const title = `<h2>${h(titleOf(n))}</h2>`;
  if (n.kind === 'digest') return `${title}<pre>${h(describe(n))}</pre>`;
  const a = n.alert;
  const row = (k: string, v: string) => `<tr><th align="left">${h(k)}</th><td>${h(v)}</td></tr>`;
  const rows = [
    row('Rule', a.rule),
    row('Severity', a.severity),
    row('Status', n.kind + (a.resolvedBy ? ` by ${a.resolvedBy}` : '')),
    row('Started', iso(a.startsAt)),
    row('Last seen', iso(a.lastSeenAt)),
    row('Signals', String(a.count)),
    ...(a.acknowledgedBy !== null ? [row('Acknowledged by', a.acknowledgedBy)] : []),
    ...Object.entries(a.labels).map(([k, v]) => row(k, v)),
    row('Fingerprint', a.fingerprint),
  ];
  const parts = [title, `<p>${h(a.summary)}</p>`, `<table>${rows.join('')}</table>`];
  if (a.evidence.topIdentities.length > 0) parts.push(`<h3>Top identities</h3><p>${h(identitiesLine(a.evidence))}</p>`);
  if (Object.keys(a.evidence.counts).length > 0) parts.push(`<h3>Counts</h3><p>${h(countsLine(a.evidence))}</p>`);
  const requests = requestLines(a.evidence);
  if (requests.length > 0) parts.push(`<h3>Example requests</h3><pre>${h(requests.join('\n'))}</pre>`);
  if (link) parts.push(`<p><a href="${h(link)}">Open in apiwarden</a></p>`);
  return `<!doctype html><html><body>${parts.join('\n')}</body></html>`;
}

/** nodemailer's error → ours. Refusals that retrying cannot fix: bad credentials, a refused recipient, any 5xx. */
function sinkErrorOf(err: unknown, where: string): SinkError {
  const e = err as { code?: unknown; responseCode?: unknown; message?: unknown };
  const isRefused = e.code === 'EAUTH' || e.code === 'EENVELOPE' || (typeof e.responseCode === 'number' && e.responseCode >= 500);
  const message = `smtp ${where}: ${typeof e.message === 'string' ? e.message : String(err)}`;
  return new SinkError(isRefused ? 'ALERT_SINK_REJECTED' : 'ALERT_SINK_UNAVAILABLE', message);
}

export function createEmailSink(options: EmailSinkOptions): Sink {
  if (options.to.length === 0) throw new SinkError('ALERT_SINK_CONFIG', 'e-mail sink: no recipient');
  const secure = options.secure ?? false;
  const port = options.port ?? (secure ? 465 : 587);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const transport = createTransport({
    host: options.host,
    port,
    secure,
    requireTLS: options.requireTls ?? options.password !== undefined,
    ...(options.user !== undefined ? { auth: { user: options.user, pass: options.password ?? '' } } : {}),
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    logger: false,
    debug: false,
    ...(options.tls ? { tls: options.tls } : {}),
  });
  const where = `${options.host}:${port}`;
  return {
    name: options.name ?? 'email',
    redact: options.password ? [options.password] : [],
    async send(n) {
      const thread = n.kind === 'digest' ? null : `<${n.alert.fingerprint}.${n.alert.startsAt}@apiwarden>`;
      const link = n.kind === 'digest' ? null : linkFor(options.link, n.alert.fingerprint);
      try {
        await transport.sendMail({
          from: options.from,
          to: [...options.to],
          // one line, whatever the summary held: a line break in a header would start a new one
          subject: `[apiwarden] ${titleOf(n)}`.replace(/[\r\n]+/g, ' ').slice(0, 250),
          text: describe(n, link),
          html: htmlOf(n, link),
          messageId: n.kind === 'firing' && thread ? thread : `<${n.id}@apiwarden>`,
          ...(thread && n.kind !== 'firing' ? { inReplyTo: thread, references: thread } : {}),
          headers: n.kind === 'digest' ? { 'X-Apiwarden-Kind': 'digest' } : { 'X-Apiwarden-Kind': n.kind, 'X-Apiwarden-Fingerprint': n.alert.fingerprint },
        });
      } catch (err) {
        throw sinkErrorOf(err, where);
      }
    },
    close() {
      transport.close();
    },
  };
}
