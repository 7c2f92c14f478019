import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  parseCidr, parseDate, parseDuration, parseHostPattern, parseHttpUrl, parseOperationRef, parsePathPrefix, parseSize,
} from './values.ts';

describe('parseDuration', () => {
  const valid: Array<[string | number, number]> = [
    [1, 1], [2500, 2500], ['500ms', 500], ['10s', 10_000], ['2m', 120_000], ['1h', 3_600_000], ['1d', 86_400_000], ['10S', 10_000], [' 3s ', 3000],
  ];
  for (const [input, ms] of valid) it(`${JSON.stringify(input)} → ${ms} ms`, () => assert.equal(parseDuration(input), ms));

  const invalid: Array<[string | number, RegExp]> = [
    [0, /greater than 0/], ['0s', /greater than 0/], [-5, /greater than 0/], [1.5, /whole number/],
    ['1.5s', /not a duration/], ['5 s', /not a duration/], ['10', /not a duration/], ['10 sec', /not a duration/], ['1w', /not a duration/],
    ['', /not a duration/], ['597h', /at most 24d/], ['25d', /at most 24d/],
  ];
  for (const [input, reason] of invalid) it(`refuses ${JSON.stringify(input)}`, () => assert.throws(() => parseDuration(input), reason));

  it('reads n + unit as n times the unit', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 596 }), fc.constantFrom(['ms', 1], ['s', 1000], ['m', 60_000], ['h', 3_600_000]),
      (n, [unit, factor]) => parseDuration(`${n}${unit}`) === n * factor));
  });
});

describe('parseSize', () => {
  const valid: Array<[string | number, number]> = [
    [16_384, 16_384], ['512b', 512], ['16kb', 16_384], ['1mb', 1_048_576], ['1gb', 1024 ** 3], ['2MB', 2 * 1024 ** 2],
  ];
  for (const [input, bytes] of valid) it(`${JSON.stringify(input)} → ${bytes} bytes`, () => assert.equal(parseSize(input), bytes));

  const invalid: Array<[string | number, RegExp]> = [
    [0, /greater than 0/], [-1, /greater than 0/], [1.5, /whole number/], ['16KiB', /not a size/], ['1k', /not a size/],
    ['1.5mb', /not a size/], ['1025mb', /at most 1gb/], ['2gb', /at most 1gb/],
  ];
  for (const [input, reason] of invalid) it(`refuses ${JSON.stringify(input)}`, () => assert.throws(() => parseSize(input), reason));
});

describe('parseDate', () => {
  it('reads a bare date as midnight UTC', () => assert.deepEqual(parseDate('2025-06-30'), new Date(Date.UTC(2025, 5, 30))));
  it('reads a date-time with its zone', () => {
    assert.deepEqual(parseDate('2027-01-01T12:00:00+02:00'), new Date(Date.UTC(2027, 0, 1, 10)));
    assert.deepEqual(parseDate('2027-01-01T12:00:00.250Z'), new Date(Date.UTC(2027, 0, 1, 12, 0, 0, 250)));
  });
  it('accepts a Date as is', () => {
    const d = new Date(Date.UTC(2026, 0, 1));
    assert.equal(parseDate(d), d);
    assert.throws(() => parseDate(new Date(Number.NaN)), /not a valid date/);
  });
  it('knows leap years', () => {
    assert.deepEqual(parseDate('2024-02-29'), new Date(Date.UTC(2024, 1, 29)));
    assert.deepEqual(parseDate('2000-02-29'), new Date(Date.UTC(2000, 1, 29)));
    assert.throws(() => parseDate('2025-02-29'), /not a valid date/);
    assert.throws(() => parseDate('2100-02-29'), /not a valid date/);
  });
  for (const input of ['2025-02-30', '2025-13-01', '2025-6-30', '30/06/2025', 'soon', '2025-06-30T25:00:00Z']) {
    it(`refuses "${input}"`, () => assert.throws(() => parseDate(input), /not a valid date/));
  }
  it('asks for a time zone', () => assert.throws(() => parseDate('2025-06-30T12:00:00'), /no time zone; add Z/));
});

describe('parseHttpUrl', () => {
  it('keeps the origin and path of an upstream, without trailing slash', () => {
    assert.equal(parseHttpUrl('http://127.0.0.1:9000', 'upstream'), 'http://127.0.0.1:9000');
    assert.equal(parseHttpUrl('HTTPS://Api.Internal:443/base/', 'upstream'), 'https://api.internal/base');
    assert.equal(parseHttpUrl('http://[::1]:9000/', 'upstream'), 'http://[::1]:9000');
  });
  it('refuses what cannot be an upstream', () => {
    assert.throws(() => parseHttpUrl('127.0.0.1:9000', 'upstream'), /http:\/\/ or https:\/\/ URL/);
    assert.throws(() => parseHttpUrl('ftp://host', 'upstream'), /http:\/\/ or https:\/\/ URL/);
    assert.throws(() => parseHttpUrl('http://u:p@host', 'upstream'), /user name or password/);
    assert.throws(() => parseHttpUrl('http://host/?', 'upstream'), /query string/);
    assert.throws(() => parseHttpUrl('http://host/#x', 'upstream'), /fragment/);
  });
  it('allows a query in a link', () => assert.equal(parseHttpUrl('https://example.com/m?v=2', 'link'), 'https://example.com/m?v=2'));
});

describe('parseCidr', () => {
  const valid: Array<[string, string]> = [
    ['10.0.0.0/8', '10.0.0.0/8'], ['192.168.1.10', '192.168.1.10/32'], ['0.0.0.0/0', '0.0.0.0/0'],
    ['2001:DB8::/32', '2001:db8::/32'], ['::1', '::1/128'], ['::ffff:10.0.0.0/104', '::ffff:a00:0/104'],
    ['fe80::/10', 'fe80::/10'],
  ];
  for (const [input, cidr] of valid) it(`${input} → ${cidr}`, () => assert.equal(parseCidr(input), cidr));

  const invalid: Array<[string, RegExp]> = [
    ['10.0.0.1/8', /did you mean 10\.0\.0\.0\/8\?/], ['2001:db8::1/32', /did you mean 2001:db8::\/32\?/],
    ['10.0.0.0/33', /0 to 32/], ['::/129', /0 to 128/], ['10.0.0.0/08', /whole number/], ['10.0.0.0/', /whole number/],
    ['10.0.0.0/8/8', /not an IP address/], ['fe80::1%eth0', /not an IP address/], ['010.0.0.1', /not an IP address/],
    ['proxy.internal', /not an IP address/],
  ];
  for (const [input, reason] of invalid) it(`refuses ${input}`, () => assert.throws(() => parseCidr(input), reason));

  it('accepts every IPv4 network address it suggests', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 32 }), (n, length) => {
      const address = [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
      try {
        return parseCidr(`${address}/${length}`) === `${address}/${length}`;
      } catch (err) {
        const suggestion = /did you mean (\S+)\?/.exec((err as Error).message)?.[1];
        return suggestion !== undefined && parseCidr(suggestion) === suggestion;
      }
    }));
  });
});

describe('parseHostPattern', () => {
  const valid: Array<[string, string]> = [
    ['api.example.com', 'api.example.com'], ['API.Example.COM.', 'api.example.com'], ['*.example.com', '*.example.com'],
    ['localhost', 'localhost'], ['10.0.0.1', '10.0.0.1'], ['bücher.example', 'xn--bcher-kva.example'],
  ];
  for (const [input, host] of valid) it(`${input} → ${host}`, () => assert.equal(parseHostPattern(input), host));
  for (const input of ['*', '*.', 'a.*.com', 'api.*', 'bad_host', 'a..b', '-a.com', '']) {
    it(`refuses "${input}"`, () => assert.throws(() => parseHostPattern(input), /not a host name/));
  }
  it('refuses a port', () => assert.throws(() => parseHostPattern('api.example.com:443'), /without a port/));
});

describe('parsePathPrefix', () => {
  for (const input of ['/', '/v1', '/api/v2', '/~user', '/caf%C3%A9', '/a:b@c']) {
    it(`accepts ${input}`, () => assert.equal(parsePathPrefix(input), input));
  }
  const invalid: Array<[string, RegExp]> = [
    ['v1', /must start with/], ['/v1/', /must not end with "\/".*write "\/v1"/], ['//', /must not end with/],
    ['/a//b', /"\/\/"/], ['/a/../b', /"\." or "\.\."/], ['/a b', /percent-encoded/], ['/a?b', /percent-encoded/],
  ];
  for (const [input, reason] of invalid) it(`refuses ${JSON.stringify(input)}`, () => assert.throws(() => parsePathPrefix(input), reason));
});

describe('parseOperationRef', () => {
  it('accepts operationIds and METHOD /path, upper-casing the method', () => {
    assert.equal(parseOperationRef('getUserV1'), 'getUserV1');
    assert.equal(parseOperationRef('GET /v1/users/{id}'), 'GET /v1/users/{id}');
    assert.equal(parseOperationRef('delete  /v1/users/{id}'), 'DELETE /v1/users/{id}');
  });
  for (const input of ['FETCH /v1', 'GET v1', 'get user', '/v1/users']) {
    it(`refuses "${input}"`, () => assert.throws(() => parseOperationRef(input), /operationId/));
  }
});
