import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CEF_SEVERITY, escapeCefHeader, escapeCefValue, formatCef } from './cef.ts';
import { frameOctetCounted, formatRfc5424, headerField } from './rfc5424.ts';
import { sampleDigest, sampleNotification, takeOctetCountedFrames } from './test-helpers.ts';

/** Splits a CEF extension as a SIEM does: a key is the word before an unescaped '='. */
function parseExtension(ext: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /(?:^|\s)([A-Za-z0-9_]+)=((?:\\.|[^\\])*?)(?=\s+[A-Za-z0-9_]+=|$)/g;
  for (const m of ext.matchAll(re)) {
    out[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : c));
  }
  return out;
}

/** Splits the seven header fields on unescaped pipes. */
function splitHeader(cef: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < cef.length; i++) {
    const c = cef[i]!;
    if (c === '\\' && parts.length < 7) {
      current += cef[++i];
    } else if (c === '|' && parts.length < 7) {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts;
}

describe('CEF', () => {
  it('escapes the header (\\ and |, line breaks become spaces) and extension values (\\ and =, line breaks as \\n)', () => {
    assert.equal(escapeCefHeader('a|b\\c=d\r\ne'), 'a\\|b\\\\c=d e');
    assert.equal(escapeCefValue('a|b\\c=d\r\ne\rf'), 'a|b\\\\c\\=d\\ne\\rf');
  });

  it('cannot be made to forge fields from an attacker-chosen target or summary', () => {
    const n = sampleNotification('firing', {
      summary: 'probe of /x|10|act=allowed\nCEF:0|fake',
      evidence: { topIdentities: [{ kind: 'ip', value: '203.0.113.9 act=allowed', count: 1 }], counts: {}, exampleRequests: [{ time: 0, method: 'GET', target: '/a?b=c\\ act=allowed', status: 200, clientIp: 'x' }] },
    });
    const cef = formatCef(n, { version: '1.2.3' });
    assert.ok(!cef.includes('\n'));
    const header = splitHeader(cef);
    assert.equal(header.length, 8);
    assert.deepEqual(header.slice(0, 7), ['CEF:0', 'apiwarden', 'apiwarden', '1.2.3', 'distributed-enumeration', 'probe of /x|10|act=allowed CEF:0|fake', '8']);
    const ext = parseExtension(header[7]!);
    assert.equal(ext.act, 'firing', 'the real act, not a forged one');
    assert.equal(ext.request, '/a?b=c\\ act=allowed');
    assert.equal(ext.cs1, 'ip 203.0.113.9 act=allowed (1)');
    assert.equal(ext.cs1Label, 'topIdentities');
    assert.equal(ext.msg, 'probe of /x|10|act=allowed\nCEF:0|fake', 'the line break survives, escaped');
  });

  it('carries the alert in standard extension keys', () => {
    const ext = parseExtension(splitHeader(formatCef(sampleNotification('resolved'), { version: '0.1.0' }))[7]!);
    assert.equal(ext.rt, '1700000060000');
    assert.equal(ext.act, 'resolved');
    assert.equal(ext.externalId, '0123456789abcdef');
    assert.equal(ext.cnt, '7');
    assert.equal(ext.start, '1700000000000');
    assert.equal(ext.end, '1700000060000');
    assert.equal(ext.cs3, 'requests=5120, addresses=412, misses=4864');
    assert.equal(ext.requestMethod, 'GET');
    const digest = splitHeader(formatCef(sampleDigest(), { version: '0.1.0' }));
    assert.equal(digest[4], 'notification-storm');
    assert.equal(digest[6], String(CEF_SEVERITY.critical));
    assert.equal(parseExtension(digest[7]!).cnt, '42');
  });

  it('maps severity to 0-10', () => {
    assert.deepEqual(CEF_SEVERITY, { critical: 10, high: 8, medium: 5, low: 3, info: 1 });
  });

  it('fits a byte budget by leaving out whole fields', () => {
    const n = sampleNotification('firing');
    const full = formatCef(n, { version: '0.1.0' });
    const cut = formatCef(n, { version: '0.1.0', maxBytes: 300 });
    assert.ok(Buffer.byteLength(cut) <= 300);
    assert.ok(cut.length < full.length);
    const ext = parseExtension(splitHeader(cut)[7]!);
    assert.equal(ext.act, 'firing');
    assert.ok(!/\\$/.test(cut), 'never cut inside an escape');
    for (const [k, v] of Object.entries(ext)) assert.ok(full.includes(`${k}=${escapeCefValue(v)}`), `${k} is whole`);
  });
});

describe('RFC 5424 and RFC 6587', () => {
  it('lays out the header', () => {
    const text = formatRfc5424({ facility: 16, severity: 2, time: 1_700_000_000_123, hostname: 'gw 1', appName: 'apiwarden', procId: '42', msgId: 'alert-firing' }, 'CEF:0|x');
    assert.equal(text, '<130>1 2023-11-14T22:13:20.123Z gw1 apiwarden 42 alert-firing - CEF:0|x');
    assert.equal(headerField('', 48), '-');
    assert.equal(headerField('x'.repeat(100), 48).length, 48);
    assert.equal(headerField('é\u0000ok', 10), 'ok');
  });

  it('counts octets, not characters, and a reader splits the frames back', () => {
    const a = 'é ü 漢字';
    const frame = frameOctetCounted(a);
    assert.equal(frame.toString('utf8'), `${Buffer.byteLength(a)} ${a}`);
    const stream = Buffer.concat([frame, frameOctetCounted('second message'), frameOctetCounted('thi')]);
    const { messages, rest } = takeOctetCountedFrames(stream.subarray(0, stream.length - 2));
    assert.deepEqual(messages, [a, 'second message']);
    assert.equal(rest.toString(), '3 t');
  });
});
