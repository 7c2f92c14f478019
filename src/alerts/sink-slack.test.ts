import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SinkError } from './sink-error.ts';
import { createSlackSink, escapeMrkdwn } from './sink-slack.ts';
import { sampleDigest, sampleNotification, startHttpReceiver, type HttpReceiver } from './test-helpers.ts';

type Block = { type: string; text?: { type: string; text: string }; fields?: Array<{ type: string; text: string }>; elements?: Array<{ text: string }> };

describe('slack sink', () => {
  let receiver: HttpReceiver;
  before(async () => {
    receiver = await startHttpReceiver();
  });
  after(() => receiver.close());

  it('posts { text, blocks } with severity, summary, top identities and the link', async () => {
    receiver.requests.length = 0;
    receiver.answer = { status: 200, body: 'ok' };
    const sink = createSlackSink({ url: `${receiver.url}/services/T000/B000/XXXXSECRET`, link: 'https://warden.example.com/alerts/{fingerprint}' });
    await sink.send(sampleNotification('firing'));
    const req = receiver.requests[0]!;
    assert.equal(req.url, '/services/T000/B000/XXXXSECRET');
    const body = JSON.parse(req.body) as { text: string; blocks: Block[] };
    assert.match(body.text, /^:large_orange_circle: \[HIGH\] FIRING: distributed enumeration on GET \/v2\/phones\/\{phone\}\/status/);
    assert.equal(body.blocks[0]!.type, 'header');
    assert.ok(body.blocks[0]!.text!.text.length <= 150);
    const fields = body.blocks[1]!.fields!.map((f) => f.text);
    assert.ok(fields.includes('*Severity*\nhigh'));
    assert.ok(fields.includes('*Signals*\n7'));
    assert.ok(fields.includes('*Details*\n<https://warden.example.com/alerts/0123456789abcdef|Open in apiwarden>'));
    assert.equal(body.blocks[1]!.text!.type, 'plain_text');
    const identities = body.blocks.find((b) => b.text?.text.startsWith('Top identities'));
    assert.equal(identities?.text?.text, 'Top identities: subnet 203.0.113.0/24 (1520), ip 198.51.100.x (312)');
    assert.ok(body.blocks.some((b) => b.text?.text.startsWith('Counts: requests=5120')));
    assert.ok(body.blocks.length <= 50);
  });

  it('cannot be made to ping a channel or forge a link', async () => {
    receiver.requests.length = 0;
    const sink = createSlackSink({ url: `${receiver.url}/services/x` });
    const evil = sampleNotification('firing', { summary: 'scan of /x<!channel>&<https://evil.example|click>', labels: { rule: 'r' } });
    await sink.send(evil);
    const body = JSON.parse(receiver.requests[0]!.body) as { text: string; blocks: Block[] };
    assert.ok(!body.text.includes('<!channel>'));
    assert.ok(body.text.includes('/x&lt;!channel&gt;&amp;&lt;https://evil.example|click&gt;'));
    // the summary itself travels in plain_text, which Slack does not parse
    assert.equal(body.blocks[1]!.text!.type, 'plain_text');
    assert.equal(escapeMrkdwn('<@U123> & co'), '&lt;@U123&gt; &amp; co');
  });

  it('renders resolved, acknowledged and digest notifications', async () => {
    receiver.requests.length = 0;
    const sink = createSlackSink({ url: `${receiver.url}/services/x` });
    await sink.send(sampleNotification('resolved'));
    await sink.send(sampleNotification('acknowledged'));
    await sink.send(sampleDigest());
    const [resolved, acked, digest] = receiver.requests.map((r) => JSON.parse(r.body) as { text: string; blocks: Block[] });
    assert.match(resolved!.text, /RESOLVED/);
    assert.ok(acked!.blocks[1]!.fields!.some((f) => f.text === '*Acknowledged by*\nalice'));
    assert.match(digest!.text, /^:red_circle: \[CRITICAL\] 42 more alert notifications suppressed/);
    assert.match(digest!.blocks[1]!.text!.text, /distributed-enumeration: 40/);
  });

  it('reports Slack refusals without the webhook URL', async () => {
    const sink = createSlackSink({ url: `${receiver.url}/services/T1/B1/SECRETPART` });
    receiver.answer = { status: 404, body: 'no_service' };
    const err = await sink.send(sampleNotification()).then(() => null, (e: unknown) => e);
    assert.ok(err instanceof SinkError);
    assert.equal(err.code, 'ALERT_SINK_REJECTED');
    assert.equal(err.message, `POST ${receiver.url} answered 404: no_service`);
    receiver.answer = { status: 429, body: 'rate_limited', headers: { 'retry-after': '30' } };
    const limited = await sink.send(sampleNotification()).then(() => null, (e: unknown) => e);
    assert.ok(limited instanceof SinkError && limited.isRetryable && limited.retryAfterMs === 30_000);
    assert.ok(sink.redact?.some((s) => s.includes('SECRETPART')));
    receiver.answer = { status: 200, body: 'ok' };
  });
});
