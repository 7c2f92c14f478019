import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { encodeLoggedTarget, parseCombinedLine } from './nginx-combined.ts';
import { fixtureLines, observed } from './test-helpers.ts';
import { ParseError } from './types.ts';

// latin1, as the reader decodes combined logs
const lines = fixtureLines('combined.log', 'latin1');

function parsed(lineNumber: number): ReturnType<typeof parseCombinedLine> {
  return parseCombinedLine(lines[lineNumber - 1]!);
}

describe('parseCombinedLine: well-formed lines', () => {
  test('nginx default combined', () => {
    assert.deepEqual(
      parsed(1),
      observed({
        time: Date.UTC(2024, 2, 12, 8, 15, 27),
        method: 'GET',
        path: '/api/v1/users/42',
        query: 'expand=orders',
        status: 200,
        clientIp: '203.0.113.7',
        userAgent: 'curl/8.5.0',
        bytesOut: 1532,
      }),
    );
  });

  test('a user name, a referer, HTTP/2 and a +0100 offset', () => {
    assert.deepEqual(
      parsed(2),
      observed({
        time: Date.UTC(2024, 2, 12, 8, 15, 28),
        method: 'POST',
        path: '/api/v1/orders',
        status: 201,
        clientIp: '198.51.100.23',
        userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
        bytesOut: 88,
      }),
    );
  });

  test('an IPv6 client', () => {
    const r = parsed(3);
    assert.ok(!(r instanceof ParseError));
    assert.equal(r.clientIp, '2001:db8::7');
    assert.equal(r.method, 'DELETE');
    assert.equal(r.bytesOut, 0);
  });

  test("the Apache documentation's common and combined examples", () => {
    const common = observed({
      time: Date.UTC(2000, 9, 10, 20, 55, 36),
      method: 'GET',
      path: '/apache_pb.gif',
      status: 200,
      clientIp: '127.0.0.1',
      bytesOut: 2326,
    });
    assert.deepEqual(parsed(4), common);
    assert.deepEqual(parsed(5), { ...common, userAgent: 'Mozilla/4.08 [en] (Win98; I ;Nav)' });
  });

  test('vhost_combined: the virtual host, lower-cased without port', () => {
    const r = parsed(6);
    assert.ok(!(r instanceof ParseError));
    assert.equal(r.host, 'www.example.com');
    assert.equal(r.clientIp, '192.0.2.10');
    assert.equal(r.path, '/search');
    assert.equal(r.query, 'q=caf%C3%A9&page=2');
  });

  test('an absolute-form target gives the host', () => {
    const r = parsed(7);
    assert.ok(!(r instanceof ParseError));
    assert.deepEqual([r.host, r.path, r.query], ['proxy-target.example.net', '/v2/status', 'verbose']);
  });

  test('escaped bytes and quotes become percent-encoding', () => {
    const nginxEscaped = parsed(8);
    assert.ok(!(nginxEscaped instanceof ParseError));
    assert.equal(nginxEscaped.path, '/files/caf%C3%A9.txt');
    const apacheEscaped = parsed(9);
    assert.ok(!(apacheEscaped instanceof ParseError));
    assert.equal(apacheEscaped.query, 'name=%22x%22');
    assert.equal(apacheEscaped.userAgent, 'sqlmap/1.7 (https://sqlmap.org)');
  });

  test('lower-case method, "-" user agent, "-" byte count, asterisk-form, extra fields', () => {
    const lower = parsed(10);
    assert.ok(!(lower instanceof ParseError));
    assert.deepEqual([lower.method, lower.userAgent], ['GET', null]);
    const options = parsed(11);
    assert.ok(!(options instanceof ParseError));
    assert.deepEqual([options.method, options.path, options.bytesOut], ['OPTIONS', '*', 0]);
    const withForwardedFor = parsed(12);
    assert.ok(!(withForwardedFor instanceof ParseError));
    assert.equal(withForwardedFor.userAgent, 'curl/8.5.0');
  });

  test('raw non-ASCII bytes (latin1-decoded) are percent-encoded too', () => {
    const line = '192.0.2.30 - - [12/Mar/2024:08:15:27 +0000] "GET /caf\u00c3\u00a9 HTTP/1.1" 200 1 "-" "-"';
    const r = parseCombinedLine(line);
    assert.ok(!(r instanceof ParseError));
    assert.equal(r.path, '/caf%C3%A9');
  });
});

describe('parseCombinedLine: malformed lines are values with a reason', () => {
  const expected: [number, string][] = [
    [13, 'request line is "-"'],
    [14, 'request line has no target'],
    [15, 'request line has no HTTP version'],
    [16, 'no byte count after the status'],
    [17, 'time is not [dd/Mon/yyyy:HH:MM:SS ±hhmm]'],
    [18, 'no [time] field'],
    [20, 'user agent is not closed'],
  ];
  for (const [lineNumber, reason] of expected) {
    test(`line ${lineNumber}: ${reason}`, () => {
      const r = parsed(lineNumber);
      assert.ok(r instanceof ParseError, `line ${lineNumber} parsed`);
      assert.equal(r.reason, reason);
    });
  }

  test('more shapes', () => {
    const cases: [string, string][] = [
      ['1.2.3.4 [12/Mar/2024:08:15:27 +0000] "GET / HTTP/1.1" 200 1', 'fewer than three fields before the time'],
      ['1.2.3.4 - - [12/Mar/2024:08:15:27 +0000] GET / HTTP/1.1 200 1', 'no quoted request line after the time'],
      ['1.2.3.4 - - [12/Mar/2024:08:15:27 +0000] "GET / HTTP/1.1', 'request line is not closed'],
      ['1.2.3.4 - - [12/Mar/2024:08:15:27 +0000] "" 400 0 "-" "-"', 'request line is empty'],
      ['1.2.3.4 - - [12/Mar/2024:08:15:27 +0000] "GET / HTTP/1.1" OK 1', 'status is not a number'],
      ['1.2.3.4 - - [12/Mar/2024:08:15:27 +0000] "GET / HTTP/1.1" 200 12kB', 'byte count is not a number'],
      ['1.2.3.4 - - [12/Mar/2024:08:15:27 +0000] "GET / HTTP/1.1" 200 1 ref', 'referer is not quoted'],
      ['1.2.3.4 - - [12/Mar/2024:08:15:27 +0000] "GET / HTTP/1.1" 200 1 "ref', 'referer is not closed'],
      ['1.2.3.4 - - [12/Mar/2024:08:15:27 +0000] "GET / HTTP/1.1" 200 1 "-" ua', 'user agent is not quoted'],
      ['1.2.3.4 - - [12/Mar/2024:08:15:27 +0000] "G@T / HTTP/1.1" 200 1', 'request method is not a token'],
    ];
    for (const [line, reason] of cases) {
      const r = parseCombinedLine(line);
      assert.ok(r instanceof ParseError, line);
      assert.equal(r.reason, reason, line);
    }
  });
});

test('the isPlain hint changes nothing for ASCII lines without a backslash', () => {
  const plain = lines.filter((line) => !/[\\\x80-\xff]/.test(line));
  assert.ok(plain.length >= 15);
  for (const line of plain) assert.deepEqual(parseCombinedLine(line, true), parseCombinedLine(line), line);
});

describe('encodeLoggedTarget', () => {
  test('only escapes and non-ASCII change', () => {
    assert.equal(encodeLoggedTarget('/plain/path%20x'), '/plain/path%20x');
    assert.equal(encodeLoggedTarget('/a\\x2Fb'), '/a%2Fb');
    assert.equal(encodeLoggedTarget('/a\\\\b\\"c'), '/a%5Cb%22c');
    assert.equal(encodeLoggedTarget('/x\\y'), '/x\\y');
    assert.equal(encodeLoggedTarget('/\u00ff'), '/%FF');
  });
});

describe('parseCombinedLine: the time field is the first " ["', () => {
  test('a "[" without a space before it, or at the start, is not the time', () => {
    const rest = '10/Oct/2000:13:55:36 -0700] "GET /a HTTP/1.1" 200 1 "-" "-"';
    const ok = parseCombinedLine(`[2001:db8::1] - a[b [${rest}`);
    assert.ok(!(ok instanceof ParseError));
    assert.equal(ok.clientIp, '[2001:db8::1]');
    assert.equal(ok.path, '/a');
    assert.ok(parseCombinedLine(`[${rest}`) instanceof ParseError);
    assert.ok(parseCombinedLine(` [${rest}`) instanceof ParseError);
  });
});
