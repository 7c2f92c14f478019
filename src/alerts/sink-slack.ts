/**
 * Slack incoming webhooks: `{ text, blocks }` (Block Kit). `text` is the
 * fallback shown in notifications; `blocks` is the message.
 *
 * Attacker-chosen text (summaries, identities, request targets) goes into
 * plain_text objects, which Slack does not parse; in the mrkdwn parts,
 * &, < and > are escaped as Slack's formatting guide asks, so a target such
 * as `/x<!channel>` cannot ping a channel or forge a link.
 *
 * The webhook URL is the credential (its path names the workspace, channel
 * and secret): it is scrubbed from logs and errors show only the origin.
 */
import type { Dispatcher } from 'undici';
import { postJson, urlSecrets } from './http-post.ts';
import { countsLine, describe, identitiesLine, iso, linkFor, requestLines, titleOf } from './render.ts';
import type { Notification, Severity, Sink } from './types.ts';

export interface SlackSinkOptions {
  name?: string;
  /** https://hooks.slack.com/services/… */
  url: string;
  /** a link to the alert, e.g. "https://warden.example.com/alerts/{fingerprint}" */
  link?: string | null;
  timeoutMs?: number;
  dispatcher?: Dispatcher;
}

const ICON: Record<Severity, string> = { critical: ':red_circle:', high: ':large_orange_circle:', medium: ':large_yellow_circle:', low: ':large_blue_circle:', info: ':white_circle:' };
// Block Kit limits: header text 150 characters, section text 3000, a field 2000.
const HEADER_MAX = 150;
const SECTION_MAX = 3000;
const FIELD_MAX = 2000;

export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

type Block = Record<string, unknown>;
const plain = (text: string, max = SECTION_MAX) => ({ type: 'plain_text', text: clip(text, max), emoji: false });
const field = (label: string, value: string) => ({ type: 'mrkdwn', text: clip(`*${label}*\n${escapeMrkdwn(value)}`, FIELD_MAX) });

export function slackMessageOf(n: Notification, linkTemplate: string | null = null): { text: string; blocks: Block[] } {
  const severity = n.kind === 'digest' ? n.severity : n.alert.severity;
  const title = titleOf(n);
  const text = `${ICON[severity]} ${escapeMrkdwn(title)}`;
  const blocks: Block[] = [{ type: 'header', text: plain(title, HEADER_MAX) }];
  if (n.kind === 'digest') {
    blocks.push({ type: 'section', text: plain(describe(n)) });
    return { text, blocks };
  }
  const a = n.alert;
  const link = linkFor(linkTemplate, a.fingerprint);
  const fields = [
    field('Severity', `${a.severity}`),
    field('Status', n.kind === 'resolved' && a.resolvedBy ? `resolved by ${a.resolvedBy}` : n.kind),
    field('Rule', a.rule),
    field('Signals', String(a.count)),
    field('Started', iso(a.startsAt)),
    field('Last seen', iso(a.lastSeenAt)),
  ];
  if (a.acknowledgedBy !== null) fields.push(field('Acknowledged by', a.acknowledgedBy));
  // the link is ours (configured template, hex fingerprint): mrkdwn link syntax is safe here
  if (link) fields.push({ type: 'mrkdwn', text: `*Details*\n<${link.replace(/[|>]/g, encodeURIComponent)}|Open in apiwarden>` });
  blocks.push({ type: 'section', text: plain(a.summary), fields });
  if (a.evidence.topIdentities.length > 0) blocks.push({ type: 'section', text: plain(`Top identities: ${identitiesLine(a.evidence)}`) });
  if (Object.keys(a.evidence.counts).length > 0) blocks.push({ type: 'section', text: plain(`Counts: ${countsLine(a.evidence)}`) });
  const requests = requestLines(a.evidence, 3);
  if (requests.length > 0) blocks.push({ type: 'section', text: plain(`Example requests:\n${requests.join('\n')}`) });
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `apiwarden · fingerprint \`${a.fingerprint}\`` }] });
  return { text, blocks };
}

export function createSlackSink(options: SlackSinkOptions): Sink {
  const timeoutMs = options.timeoutMs ?? 10_000;
  return {
    name: options.name ?? 'slack',
    redact: urlSecrets(options.url),
    async send(n) {
      await postJson(options.url, JSON.stringify(slackMessageOf(n, options.link ?? null)), { timeoutMs, dispatcher: options.dispatcher });
    },
  };
}
