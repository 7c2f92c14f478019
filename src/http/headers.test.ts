import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { HOP_BY_HOP, buildUpstreamHeaders, checkRequestHeaders, filterResponseHeaderObject, filterResponseHeaders, normaliseHost, type ForwardContext } from './headers.ts';

describe('checkRequestHeaders', () => {
  const CASES: ReadonlyArray<readonly [string, readonly string[], string | null]> = [
    ['plain request', ['Host', 'api.example.com', 'Accept', '*/*'], null],
    ['no headers (HTTP/1.0)', [], null],
    ['one Content-Length', ['Host', 'a', 'Content-Length', '12'], null],
    ['Content-Length 0', ['Content-Length', '0'], null],
    ['chunked', ['Host', 'a', 'Transfer-Encoding', 'chunked'], null],
    ['chunked, any case, OWS', ['transfer-encoding', ' Chunked\t'], null],
    ['values with tab and obs-text', ['X-A', 'a\tb', 'X-B', 'caf\u00e9'], null],
    ['odd list length', ['Host'], 'bad-header-list'],
    ['two Content-Length, equal', ['Content-Length', '1', 'Content-Length', '1'], 'duplicate-content-length'],
    ['two Content-Length, any case', ['content-length', '1', 'CONTENT-LENGTH', '2'], 'duplicate-content-length'],
    ['Content-Length list', ['Content-Length', '1, 1'], 'bad-content-length'],
    ['Content-Length with sign', ['Content-Length', '+1'], 'bad-content-length'],
    ['Content-Length negative', ['Content-Length', '-1'], 'bad-content-length'],
    ['Content-Length decimal', ['Content-Length', '1.0'], 'bad-content-length'],
    ['Content-Length hex', ['Content-Length', '0x10'], 'bad-content-length'],
    ['Content-Length empty', ['Content-Length', ''], 'bad-content-length'],
    ['Content-Length with space inside', ['Content-Length', '1 2'], 'bad-content-length'],
    ['Content-Length non-ASCII digit', ['Content-Length', '\u0661'], 'bad-content-length'],
    ['Content-Length too long', ['Content-Length', '1234567890123456'], 'bad-content-length'],
    ['TE and CL', ['Content-Length', '5', 'Transfer-Encoding', 'chunked'], 'te-and-cl'],
    ['CL after TE', ['Transfer-Encoding', 'chunked', 'Content-Length', '5'], 'te-and-cl'],
    ['TE gzip only', ['Transfer-Encoding', 'gzip'], 'bad-transfer-encoding'],
    ['TE gzip, chunked', ['Transfer-Encoding', 'gzip, chunked'], 'bad-transfer-encoding'],
    ['TE chunked, gzip', ['Transfer-Encoding', 'chunked, gzip'], 'bad-transfer-encoding'],
    ['TE chunked twice in one field', ['Transfer-Encoding', 'chunked, chunked'], 'bad-transfer-encoding'],
    ['TE chunked in two fields', ['Transfer-Encoding', 'chunked', 'Transfer-Encoding', 'chunked'], 'bad-transfer-encoding'],
    ['TE identity', ['Transfer-Encoding', 'identity'], 'bad-transfer-encoding'],
    ['TE xchunked', ['Transfer-Encoding', 'xchunked'], 'bad-transfer-encoding'],
    ['TE chunked with parameter', ['Transfer-Encoding', 'chunked;q=1'], 'bad-transfer-encoding'],
    ['TE empty', ['Transfer-Encoding', ''], 'bad-transfer-encoding'],
    ['TE trailing comma', ['Transfer-Encoding', 'chunked,'], 'bad-transfer-encoding'],
    ['two Host', ['Host', 'a', 'Host', 'b'], 'duplicate-host'],
    ['two Host, any case', ['Host', 'a', 'HOST', 'a'], 'duplicate-host'],
    ['CR in a value', ['X-A', 'a\rb'], 'bad-header-value'],
    ['LF in a value', ['X-A', 'a\nX-Injected: 1'], 'bad-header-value'],
    ['NUL in a value', ['X-A', 'a\u0000b'], 'bad-header-value'],
    ['space in a name', ['X A', '1'], 'bad-header-name'],
    ['space before colon', ['Content-Length ', '1'], 'bad-header-name'],
    ['empty name', ['', '1'], 'bad-header-name'],
    ['colon in a name', ['X:A', '1'], 'bad-header-name'],
    ['parenthesis in a name', ['(x)', '1'], 'bad-header-name'],
    ['non-ASCII name', ['\u00c4', '1'], 'bad-header-name'],
  ];
  for (const [what, raw, expected] of CASES) {
    it(`${what} → ${expected}`, () => assert.equal(checkRequestHeaders(raw), expected));
  }
});

const UNTRUSTED: ForwardContext = { clientIp: '203.0.113.9', proto: 'https', host: 'api.example.com', peerIsTrusted: false, style: 'x-forwarded' };
const TRUSTED: ForwardContext = { clientIp: '10.0.0.1', proto: 'http', host: 'api.internal:8080', peerIsTrusted: true, style: 'both' };

function pairs(flat: readonly string[]): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
}

describe('buildUpstreamHeaders', () => {
  it('removes hop-by-hop, Connection-named, host, expect, override and forged headers from an untrusted peer', () => {
    const raw = [
      'Host', 'api.example.com',
      'Connection', 'keep-alive, X-Secret',
      'Keep-Alive', 'timeout=5',
      'X-Secret', 's',
      'TE', 'trailers',
      'Trailer', 'Expires',
      'Upgrade', 'h2c',
      'Proxy-Connection', 'keep-alive',
      'Proxy-Authorization', 'Basic eDp5',
      'Transfer-Encoding', 'chunked',
      'X-Forwarded-For', '1.1.1.1',
      'X-Forwarded-Proto', 'http',
      'X-Forwarded-Host', 'evil.example',
      'X-Forwarded-Port', '1',
      'X-Forwarded-Prefix', '/evil',
      'X-Real-IP', '1.1.1.1',
      'True-Client-IP', '1.1.1.1',
      'Forwarded', 'for=1.1.1.1',
      'Accept', '*/*',
      'Content-Length', '5',
      'Expect', '100-continue',
      'X-Original-URL', '/admin',
      'X-Rewrite-URL', '/admin',
      'X-HTTP-Method-Override', 'DELETE',
      'X-HTTP-Method', 'DELETE',
      'X-Method-Override', 'DELETE',
      'X_Forwarded_For', '9.9.9.9',
      'Content_Length', '0',
      'X_Custom', 'kept',
      'Authorization', 'Bearer t',
    ];
    assert.deepEqual(pairs(buildUpstreamHeaders(raw, UNTRUSTED)), [
      ['Accept', '*/*'],
      ['Content-Length', '5'],
      ['X_Custom', 'kept'],
      ['Authorization', 'Bearer t'],
      ['x-forwarded-for', '203.0.113.9'],
      ['x-forwarded-proto', 'https'],
      ['x-forwarded-host', 'api.example.com'],
    ]);
  });

  it('extends the chains of a trusted peer, both styles', () => {
    const raw = [
      'X-Forwarded-For', '198.51.100.1',
      'X-Forwarded-For', '198.51.100.2',
      'X-Forwarded-Proto', 'https',
      'X-Forwarded-Host', 'api.example.com',
      'X-Real-IP', '198.51.100.2',
      'X-Forwarded-Prefix', '/api',
      'Forwarded', 'for=198.51.100.2;proto=https',
      'Accept', '*/*',
    ];
    assert.deepEqual(pairs(buildUpstreamHeaders(raw, TRUSTED)), [
      ['X-Real-IP', '198.51.100.2'],
      ['X-Forwarded-Prefix', '/api'],
      ['Accept', '*/*'],
      ['x-forwarded-for', '198.51.100.1, 198.51.100.2, 10.0.0.1'],
      ['x-forwarded-proto', 'https, http'],
      ['x-forwarded-host', 'api.example.com, api.internal:8080'],
      ['forwarded', 'for=198.51.100.2;proto=https, for=10.0.0.1;proto=http;host="api.internal:8080"'],
    ]);
  });

  const STYLES: ReadonlyArray<readonly [string, ForwardContext, readonly string[], string[][]]> = [
    [
      'forwarded style drops the X-Forwarded chain',
      { ...TRUSTED, style: 'forwarded', host: 'api.example.com' },
      ['X-Forwarded-For', '198.51.100.1', 'Forwarded', 'for=198.51.100.1'],
      [['forwarded', 'for=198.51.100.1, for=10.0.0.1;proto=http;host=api.example.com']],
    ],
    [
      'x-forwarded style drops Forwarded',
      { ...TRUSTED, style: 'x-forwarded', host: 'a' },
      ['X-Forwarded-For', '198.51.100.1', 'Forwarded', 'for=198.51.100.1'],
      [['x-forwarded-for', '198.51.100.1, 10.0.0.1'], ['x-forwarded-proto', 'http'], ['x-forwarded-host', 'a']],
    ],
    [
      'IPv6 peer: bare in X-Forwarded-For, quoted in brackets in Forwarded',
      { ...UNTRUSTED, clientIp: '2001:DB8::1', style: 'both', host: '' },
      [],
      [['x-forwarded-for', '2001:db8::1'], ['x-forwarded-proto', 'https'], ['forwarded', 'for="[2001:db8::1]";proto=https']],
    ],
    [
      'IPv4-mapped peer written as IPv4',
      { ...UNTRUSTED, clientIp: '::ffff:203.0.113.9', style: 'forwarded' },
      [],
      [['forwarded', 'for=203.0.113.9;proto=https;host=api.example.com']],
    ],
    [
      'no peer address: "unknown"',
      { ...UNTRUSTED, clientIp: '', style: 'both' },
      [],
      [['x-forwarded-for', 'unknown'], ['x-forwarded-proto', 'https'], ['x-forwarded-host', 'api.example.com'], ['forwarded', 'for=unknown;proto=https;host=api.example.com']],
    ],
    [
      'no Host: no host in the chain, a trusted chain kept',
      { ...TRUSTED, host: '', style: 'both' },
      ['X-Forwarded-Host', 'api.example.com'],
      [['x-forwarded-for', '10.0.0.1'], ['x-forwarded-proto', 'http'], ['x-forwarded-host', 'api.example.com'], ['forwarded', 'for=10.0.0.1;proto=http']],
    ],
    [
      'host that is not a token is quoted with escapes',
      { ...UNTRUSTED, host: 'a"b\\c', style: 'forwarded' },
      [],
      [['forwarded', 'for=203.0.113.9;proto=https;host="a\\"b\\\\c"']],
    ],
    [
      'Connection cannot remove Content-Length',
      UNTRUSTED,
      ['Connection', 'content-length', 'Content-Length', '3'],
      [['Content-Length', '3'], ['x-forwarded-for', '203.0.113.9'], ['x-forwarded-proto', 'https'], ['x-forwarded-host', 'api.example.com']],
    ],
    [
      'Connection naming the chain drops it, this hop is still written',
      { ...TRUSTED, style: 'x-forwarded', host: 'a' },
      ['Connection', 'X-Forwarded-For', 'X-Forwarded-For', '198.51.100.1'],
      [['x-forwarded-for', '10.0.0.1'], ['x-forwarded-proto', 'http'], ['x-forwarded-host', 'a']],
    ],
    [
      'blank chain values from a trusted peer are not joined',
      { ...TRUSTED, style: 'x-forwarded', host: 'a' },
      ['X-Forwarded-For', ' ', 'X-Forwarded-For', '198.51.100.1'],
      [['x-forwarded-for', '198.51.100.1, 10.0.0.1'], ['x-forwarded-proto', 'http'], ['x-forwarded-host', 'a']],
    ],
    [
      'values pass unchanged, repeated fields stay apart',
      { ...UNTRUSTED, style: 'forwarded', host: 'h' },
      ['Cookie', 'a=1', 'Cookie', 'b=2', 'X-Odd', '  spaced \u00e9 '],
      [['Cookie', 'a=1'], ['Cookie', 'b=2'], ['X-Odd', '  spaced \u00e9 '], ['forwarded', 'for=203.0.113.9;proto=https;host=h']],
    ],
  ];
  for (const [what, ctx, raw, expected] of STYLES) {
    it(what, () => assert.deepEqual(pairs(buildUpstreamHeaders(raw, ctx)), expected));
  }

  it('never forwards what undici refuses or a forged chain', () => {
    const name = fc.oneof(
      fc.constantFrom(...HOP_BY_HOP, 'Host', 'Expect', 'X-Forwarded-For', 'Forwarded', 'X-Real-IP', 'X_Forwarded_For', 'Content-Length', 'Accept', 'Cookie'),
      fc.stringMatching(/^[A-Za-z_-]{1,12}$/),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(name, fc.string({ maxLength: 20 })), { maxLength: 12 }), (list) => {
        const out = pairs(buildUpstreamHeaders(list.flat(), UNTRUSTED));
        const names = out.map(([n]) => n!.toLowerCase());
        for (const n of names) {
          assert.ok(!HOP_BY_HOP.has(n) && n !== 'host' && n !== 'expect' && n !== 'forwarded' && n !== 'x-real-ip', n);
          assert.ok(!n.includes('_') || !['x-forwarded-for', 'content-length'].includes(n.replaceAll('_', '-')), n);
        }
        assert.deepEqual(out.filter(([n]) => n === 'x-forwarded-for'), [['x-forwarded-for', '203.0.113.9']]);
        assert.equal(names.filter((n) => n === 'x-forwarded-for').length, 1);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('filterResponseHeaders', () => {
  it('removes hop-by-hop and Connection-named fields, keeps the rest in order', () => {
    const raw = [
      'Connection', 'close, X-Internal',
      'X-Internal', 'secret',
      'Keep-Alive', 'timeout=5',
      'Transfer-Encoding', 'chunked',
      'Set-Cookie', 'a=1',
      'Set-Cookie', 'b=2',
      'Content-Type', 'application/json',
      'Proxy-Authenticate', 'Basic',
      'Trailer', 'Expires',
      'Upgrade', 'h2c',
      'Content-Length', '10',
    ];
    assert.deepEqual(pairs(filterResponseHeaders(raw)), [
      ['Set-Cookie', 'a=1'],
      ['Set-Cookie', 'b=2'],
      ['Content-Type', 'application/json'],
      ['Content-Length', '10'],
    ]);
  });

  it('keeps Content-Length even when Connection names it', () => {
    assert.deepEqual(filterResponseHeaders(['Connection', 'Content-Length', 'Content-Length', '1']), ['Content-Length', '1']);
  });

  it('passes an empty list', () => assert.deepEqual(filterResponseHeaders([]), []));
});

describe('normaliseHost', () => {
  const CASES: ReadonlyArray<readonly [string | undefined, string | null]> = [
    [undefined, ''],
    ['', ''],
    ['Example.COM', 'example.com'],
    ['example.com.', 'example.com'],
    ['example.com:8080', 'example.com'],
    ['EXAMPLE.com.:443', 'example.com'],
    ['example.com:0', 'example.com'],
    ['example.com:65535', 'example.com'],
    ['localhost', 'localhost'],
    ['my_host.internal', 'my_host.internal'],
    ['xn--bcher-kva.example', 'xn--bcher-kva.example'],
    ['192.0.2.1:80', '192.0.2.1'],
    ['[2001:DB8::1]', '[2001:db8::1]'],
    ['[2001:db8:0:0::1]:8443', '[2001:db8::1]'],
    ['[::1]', '[::1]'],
    ['[::ffff:192.0.2.1]', '[::ffff:192.0.2.1]'],
    // malformed
    ['exa mple.com', null],
    [' example.com', null],
    ['example.com ', null],
    ['user@example.com', null],
    ['user:pw@example.com', null],
    ['example.com:', null],
    ['example.com:80a', null],
    ['example.com:65536', null],
    ['example.com:-1', null],
    ['example.com:+80', null],
    ['example.com:80:80', null],
    ['example.com:123456', null],
    ['[::1', null],
    ['[::1]x', null],
    ['[::1]:', null],
    ['[fe80::1%25eth0]', null],
    ['[v1.fe80::1]', null],
    ['[192.0.2.1]', null],
    ['::1', null],
    ['exa%6dple.com', null],
    ['a,b.example', null],
    ['a;b', null],
    ['caf\u00e9.example', null],
    ['\u212aelvin.example', null],
    ['.', null],
    ['..', null],
    ['a..b', null],
    ['.example.com', null],
    ['example.com..', null],
    ['a'.repeat(254), null],
    ['example.com/path', null],
    ['example.com?x', null],
    ['example.com#x', null],
    ['exa\\mple.com', null],
  ];
  for (const [host, expected] of CASES) {
    it(`${JSON.stringify(host)} → ${JSON.stringify(expected)}`, () => assert.equal(normaliseHost(host), expected));
  }

  it('is idempotent on its output', () => {
    fc.assert(
      fc.property(fc.oneof(fc.domain(), fc.string({ maxLength: 30 }), fc.ipV6().map((ip) => `[${ip}]:443`)), (host) => {
        const n = normaliseHost(host);
        if (n !== null && n !== '') assert.equal(normaliseHost(n), n);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('filterResponseHeaderObject', () => {
  it('removes hop-by-hop and Connection-listed fields, keeps repeated fields and Content-Length', () => {
    assert.deepEqual(
      filterResponseHeaderObject({
        connection: 'keep-alive, x-hop, content-length',
        'keep-alive': 'timeout=5',
        'x-hop': 'drop',
        'transfer-encoding': 'chunked',
        'content-length': '12',
        'set-cookie': ['a=1', 'b=2'],
        'x-kept': 'yes',
        'x-none': undefined,
      }),
      ['content-length', '12', 'set-cookie', 'a=1', 'set-cookie', 'b=2', 'x-kept', 'yes'],
    );
  });

  it('agrees with filterResponseHeaders on the flat form', () => {
    const object = { connection: 'close, x-a', 'x-a': '1', 'x-b': '2', upgrade: 'h2c' };
    const flat = Object.entries(object).flat();
    assert.deepEqual(filterResponseHeaderObject(object), filterResponseHeaders(flat));
  });
});
