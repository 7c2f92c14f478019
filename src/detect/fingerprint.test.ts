import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CLIENTS } from '../../test/fixtures/detect/scenarios.ts';
import { clientFingerprint, FINGERPRINT_LENGTH, fingerprintText, ja4Style } from './fingerprint.ts';

const fp = (rawHeaders: readonly string[]) => clientFingerprint({ rawHeaders });
const hex = (list: string) => list.split(',').map((h) => parseInt(h, 16));

describe('clientFingerprint', () => {
  it('is 12 hex characters', () => {
    assert.match(fp(CLIENTS.curl), new RegExp(`^[0-9a-f]{${FINGERPRINT_LENGTH}}$`));
  });

  it('tells curl, a browser, python-requests, Go and two apps apart', () => {
    const all = Object.values(CLIENTS).map(fp);
    assert.equal(new Set(all).size, all.length);
  });

  it('is the same for one client whatever the address, path, body, cookie, credentials or trace', () => {
    // the address is not an input; what changes per request is left out
    const base = fp(CLIENTS.pythonRequests);
    const withBody = [...CLIENTS.pythonRequests, 'Content-Type', 'application/json', 'Content-Length', '42'];
    const withCredentials = ['Authorization', 'Bearer abc', ...CLIENTS.pythonRequests, 'Cookie', 'sid=1', 'traceparent', '00-1-2-01'];
    const forwarded = ['X-Forwarded-For', '203.0.113.9', ...CLIENTS.pythonRequests, 'X-Request-Id', 'r-77'];
    assert.equal(fp(withBody), base);
    assert.equal(fp(withCredentials), base);
    assert.equal(fp(forwarded), base);
  });

  it('a browser keeps its fingerprint between navigation and fetch (Sec-Fetch-*, Origin, Referer vary)', () => {
    const navigation = [...CLIENTS.chrome, 'Sec-Fetch-User', '?1', 'Upgrade-Insecure-Requests', '1', 'Referer', 'https://a.example/'];
    const fetch = [...CLIENTS.chrome, 'Origin', 'https://a.example'];
    assert.equal(fp(navigation), fp(fetch));
  });

  it('ignores header name case (proxies change it) but not order', () => {
    const lower = CLIENTS.curl.map((v, i) => (i % 2 === 0 ? v.toLowerCase() : v));
    assert.equal(fp(lower), fp(CLIENTS.curl));
    const reordered = [...CLIENTS.curl.slice(2, 4), ...CLIENTS.curl.slice(0, 2), ...CLIENTS.curl.slice(4)];
    assert.notEqual(fp(reordered), fp(CLIENTS.curl));
  });

  it('changes with the User-Agent, Accept, Accept-Language or Accept-Encoding value', () => {
    for (const name of ['User-Agent', 'Accept', 'Accept-Language', 'Accept-Encoding']) {
      const changed = CLIENTS.chrome.map((v, i) => (i % 2 === 1 && CLIENTS.chrome[i - 1] === name ? `${v}x` : v));
      assert.notEqual(fp(changed), fp(CLIENTS.chrome), name);
    }
  });

  it('the TLS ClientHello separates clients that send the same headers', () => {
    const hello = { version: 0x0304, hasServerName: true, alpn: 'h2', ciphers: [0x1301, 0x1302], extensions: [0x0000, 0x000a] };
    const a = clientFingerprint({ rawHeaders: CLIENTS.curl, tls: hello });
    const b = clientFingerprint({ rawHeaders: CLIENTS.curl, tls: { ...hello, ciphers: [0x1301] } });
    assert.notEqual(a, b);
    assert.notEqual(a, fp(CLIENTS.curl));
    assert.equal(clientFingerprint({ rawHeaders: CLIENTS.curl, tls: { ja4: ja4Style(hello) } }), a);
  });

  it('fingerprintText is readable', () => {
    assert.equal(fingerprintText({ rawHeaders: CLIENTS.curl }), 'h:host,user-agent,accept\nuser-agent:curl/8.8.0\naccept:*/*\naccept-language:-\naccept-encoding:-\ntls:-');
  });

  it('never throws, whatever the headers (property)', () => {
    fc.assert(fc.property(fc.array(fc.string(), { maxLength: 40 }), (raw) => {
      assert.match(fp(raw), /^[0-9a-f]{12}$/);
    }), { numRuns: 300 });
  });
});

describe('ja4Style', () => {
  // a Chrome ClientHello recorded by tls.browserleaks.com, with its published JA4 (FoxIO's algorithm)
  const chrome = {
    version: 0x0304,
    hasServerName: true,
    alpn: 'h2',
    ciphers: hex('1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035'),
    extensions: hex('002d,0033,0010,fe0d,0017,44cd,0000,000b,000a,002b,ff01,0023,0012,0005,000d,001b'),
    signatureAlgorithms: hex('0403,0804,0401,0503,0805,0501,0806,0601'),
  };

  it('gives the published JA4 of a known ClientHello', () => {
    assert.equal(ja4Style(chrome), 't13d1516h2_8daaf6152771_d8a2da3f94cd');
  });

  it('ignores GREASE values and the order of ciphers and extensions (Chrome shuffles extensions)', () => {
    const shuffled = {
      ...chrome,
      ciphers: [0x1a1a, ...[...chrome.ciphers].reverse()],
      extensions: [0xdada, ...[...chrome.extensions].reverse(), 0x2a2a],
    };
    assert.equal(ja4Style(shuffled), ja4Style(chrome));
  });

  it('marks QUIC, a missing SNI and a missing ALPN', () => {
    assert.match(ja4Style({ ...chrome, protocol: 'quic', hasServerName: false, alpn: null }), /^q13i151600_/);
  });
});
