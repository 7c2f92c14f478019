import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { canonicaliseTarget, TARGET_REFUSALS, type TargetRefusal } from './canonical.ts';

/**
 * raw request-target → expected canonical path, or '!reason' for a refusal.
 * A third column gives the expected query when there is one.
 */
const CASES: ReadonlyArray<readonly [raw: string, expected: string, query?: string]> = [
  // dot segments, raw and encoded (RFC 3986 §5.2.4 after §6.2.2.2 decoding)
  ['/v2/../v1/users', '/v1/users'],
  ['/v2/%2e%2e/v1/users', '/v1/users'],
  ['/v2/%2E%2E/v1', '/v1'],
  ['/v2/.%2e/v1', '/v1'],
  ['/v2/%2e./v1', '/v1'],
  ['/./v2/./users', '/v2/users'],
  ['/v2/users/1/.', '/v2/users/1/'],
  ['/v2/users/1/..', '/v2/users/'],
  ['/v2/x/%2e', '/v2/x/'],
  ['/a//../b', '/b'],
  ['/.', '/'],
  ['/..', '!dot-segment-above-root'],
  ['/%2e%2e/', '!dot-segment-above-root'],
  ['/v2/../../etc/passwd', '!dot-segment-above-root'],
  ['/v2/%2e%2e/%2e%2e/%2e%2e/admin', '!dot-segment-above-root'],
  // dot-segment look-alikes for servers that trim dots and spaces (Windows)
  ['/v2/...', '!dot-segment-variant'],
  ['/v2/..%20/admin', '!dot-segment-variant'],
  ['/v2/a..b', '/v2/a..b'],
  ['/v2/users.json', '/v2/users.json'],
  ['/v2/.well-known/x', '/v2/.well-known/x'],
  // double encoding and encoded percent
  ['/v2/%252e%252e/v1', '!double-encoding'],
  ['/v2/%25%32%65', '!double-encoding'],
  ['/v2/%2525', '!double-encoding'],
  ['/v2/100%25', '!encoded-percent'],
  ['/v2/%25zz', '!encoded-percent'],
  // encoded and raw slashes and backslashes
  ['/v2/users%2f1', '!encoded-slash'],
  ['/v2/users%2F..%2Fadmin', '!encoded-slash'],
  ['/v2/..%2f', '!encoded-slash'],
  ['/%2F', '!encoded-slash'],
  ['/v2\\..\\admin', '!backslash'],
  ['/v2/%5c..', '!backslash'],
  ['/v2/%5C', '!backslash'],
  // NUL, control characters, whitespace (raw and encoded)
  ['/v2/users%00.json', '!nul'],
  ['/v2/users\u0000', '!nul'],
  ['/v2/a\r\nb', '!control-char'],
  ['/v2/a\u007f', '!control-char'],
  ['/v2/%0d%0a', '!control-char'],
  ['/v2/%7f', '!control-char'],
  ['/v2/%09', '!control-char'],
  ['/v2/a b', '!whitespace'],
  ['/v2/a\tb', '!whitespace'],
  // matrix parameters (Tomcat / Jetty / Spring strip ';...')
  ['/v2/users;jsessionid=x', '!matrix-param'],
  ['/v2/users/..;/admin', '!matrix-param'],
  ['/v2/users/1%3Bx', '/v2/users/1%3Bx'],
  ['/v2/users/1%3bx', '/v2/users/1%3Bx'],
  // slashes merged, trailing slash kept, case kept
  ['//v2//users///1', '/v2/users/1'],
  ['/v2/users/', '/v2/users/'],
  ['//', '/'],
  ['/', '/'],
  ['/v2/Users', '/v2/Users'],
  ['/V2/USERS/%2E', '/V2/USERS/'],
  // unreserved decoded, other escapes upper-cased (RFC 3986 §6.2.2.1-2)
  ['/v2/%7Euser', '/v2/~user'],
  ['/v2/%41%42c', '/v2/ABc'],
  ['/v2/%61dmin', '/v2/admin'],
  ['/v2/%2D%5F%2E%7E', '/v2/-_.~'],
  ['/v2/a%3fb', '/v2/a%3Fb'],
  ['/v2/a%23b', '/v2/a%23b'],
  ['/v2/a%20b', '/v2/a%20b'],
  ["/v2/:id@x!$&'()*+,=", "/v2/:id@x!$&'()*+,="],
  // percent-encoding must be well-formed and UTF-8
  ['/v2/%c3%a9', '/v2/%C3%A9'],
  ['/v2/%f0%9f%98%80', '/v2/%F0%9F%98%80'],
  ['/v2/%c3', '!invalid-utf8'],
  ['/v2/%c3/%a9', '!invalid-utf8'],
  ['/v2/%ff', '!invalid-utf8'],
  ['/v2/%c0%ae', '!invalid-utf8'],
  ['/v2/%e0%80%ae', '!invalid-utf8'],
  ['/v2/%ed%a0%80', '!invalid-utf8'],
  ['/v2/%f4%90%80%80', '!invalid-utf8'],
  ['/v2/%', '!bad-percent-encoding'],
  ['/v2/%4', '!bad-percent-encoding'],
  ['/v2/%zz', '!bad-percent-encoding'],
  ['/v2/%u002e', '!bad-percent-encoding'],
  ['/v2/%4?1', '!bad-percent-encoding'],
  // raw characters outside RFC 3986 pchar
  ['/v2/\u00e9', '!non-ascii'],
  ['/v2/\u00c3\u00a9', '!non-ascii'],
  ['/v2/a#b', '!fragment'],
  ['/v2/a|b', '!invalid-char'],
  ['/v2/{id}', '!invalid-char'],
  ['/v2/a"b', '!invalid-char'],
  ['/v2/[x]', '!invalid-char'],
  // request-target forms other than origin-form
  ['http://evil/v2', '!not-origin-form'],
  ['*', '!not-origin-form'],
  ['evil.com:443', '!not-origin-form'],
  ['v2/users', '!not-origin-form'],
  ['', '!not-origin-form'],
  // query: kept byte for byte, validated
  ['/v2/users?x=%2e%2e/..', '/v2/users', 'x=%2e%2e/..'],
  ['/v2/users/..?x=1', '/v2/', 'x=1'],
  ['/v2/%2e%2e?%2e%2e', '/', '%2e%2e'],
  ['/v2/users?a=[1]&b={x}|\\;', '/v2/users', 'a=[1]&b={x}|\\;'],
  ['/v2/users?a=%2F%5c%00', '/v2/users', 'a=%2F%5c%00'],
  ['/v2/users?', '/v2/users', ''],
  ['/v2/users?a=b#c', '!fragment'],
  ['/v2/users?a=%zz', '!bad-percent-encoding'],
  ['/v2/users?a=%4', '!bad-percent-encoding'],
  ['/v2/users?a=b c', '!whitespace'],
  ['/v2/users?a=\u0001', '!control-char'],
  ['/v2/users?q=\u00e9', '!non-ascii'],
  // long paths stay linear and correct
  ['/a'.repeat(4000), '/a'.repeat(4000)],
  ['/v2' + '/a/..'.repeat(4000) + '/b', '/v2/b'],
  ['/' + '%61'.repeat(3000), '/' + 'a'.repeat(3000)],
];

describe('canonicaliseTarget: table of bypass and canonicalisation shapes', () => {
  for (const [raw, expected, query] of CASES) {
    it(`${JSON.stringify(raw.length > 60 ? raw.slice(0, 60) + '…' : raw)} → ${expected.length > 40 ? expected.slice(0, 40) + '…' : expected}`, () => {
      const result = canonicaliseTarget(raw);
      if (expected.startsWith('!')) {
        assert.deepEqual(result, { ok: false, reason: expected.slice(1) });
      } else {
        assert.deepEqual(result, { ok: true, path: expected, query: query ?? '' });
      }
    });
  }

  it('uses only the documented refusal reasons, and the table exercises each of them', () => {
    const used = new Set(CASES.filter(([, e]) => e.startsWith('!')).map(([, e]) => e.slice(1)));
    for (const reason of used) assert.ok((TARGET_REFUSALS as readonly string[]).includes(reason), reason);
    for (const reason of TARGET_REFUSALS) assert.ok(used.has(reason), `no case for ${reason}`);
  });

  it('docs/canonicalisation.md names every refusal reason', () => {
    const doc = readFileSync(new URL('../../docs/canonicalisation.md', import.meta.url), 'utf8');
    for (const reason of TARGET_REFUSALS) assert.ok(doc.includes(`\`${reason}\``), `docs miss ${reason}`);
  });
});

describe('canonicaliseTarget with matrix parameters allowed', () => {
  const MATRIX: ReadonlyArray<readonly [string, string]> = [
    ['/v2/users;jsessionid=x', '/v2/users;jsessionid=x'],
    ['/v2/users;a=1/7', '/v2/users;a=1/7'],
    ['/a;x/../b', '/b'],
    // shapes that become dot or empty segments once ';...' is stripped
    ['/v2/users/..;/admin', '!matrix-param'],
    ['/v2/users/%2e%2e;x/admin', '!matrix-param'],
    ['/v2/.;x/admin', '!matrix-param'],
    ['/;x/admin', '!matrix-param'],
    ['/v2/..%20;x', '!matrix-param'],
  ];
  for (const [raw, expected] of MATRIX) {
    it(`${raw} → ${expected}`, () => {
      const result = canonicaliseTarget(raw, { rejectMatrixParams: false });
      if (expected.startsWith('!')) assert.deepEqual(result, { ok: false, reason: expected.slice(1) });
      else assert.deepEqual(result, { ok: true, path: expected, query: '' });
    });
  }

  it('refuses ";" by default and when asked to', () => {
    assert.deepEqual(canonicaliseTarget('/a;b'), { ok: false, reason: 'matrix-param' });
    assert.deepEqual(canonicaliseTarget('/a;b', { rejectMatrixParams: true }), { ok: false, reason: 'matrix-param' });
    assert.deepEqual(canonicaliseTarget('/a;b', {}), { ok: false, reason: 'matrix-param' });
  });
});

describe('canonicaliseTarget properties', () => {
  // Pieces that bypass attempts are made of, so that random targets hit the interesting paths often.
  const piece = fc.constantFrom(
    '/', '//', '.', '..', '...', '%2e', '%2E', '%2f', '%2F', '%5c', '%25', '%252e', '%', '%4', '%zz', '%u002e',
    'a', 'B', 'users', '%41', '%7e', '%7E', ';', ';x', '\\', '?', '#', ' ', '\t', '%20', '%c3%a9', '%C3%A9',
    '%c3', '%ff', '%c0%ae', '~', '-', '_', '%3B', '%3f', '%00', '%0a', 'é', '@', ':', '=', '+', '|', '{',
  );
  const target = fc.array(piece, { maxLength: 24 }).map((parts) => '/' + parts.join(''));
  const anyText = fc.string({ unit: 'binary', maxLength: 64 });
  const options = fc.record({ rejectMatrixParams: fc.boolean() });

  it('never throws, and refuses only with a documented reason', () => {
    fc.assert(
      fc.property(fc.oneof(target, anyText), options, (raw, opts) => {
        const result = canonicaliseTarget(raw, opts);
        if (!result.ok) assert.ok((TARGET_REFUSALS as readonly string[]).includes(result.reason), result.reason);
      }),
      { numRuns: 5000 },
    );
  });

  it('is idempotent, starts with "/", and never outputs dot segments, empty segments, %2F, %5C, %25, "\\" or NUL', () => {
    fc.assert(
      fc.property(fc.oneof(target, anyText), options, (raw, opts) => {
        const result = canonicaliseTarget(raw, opts);
        if (!result.ok) return;
        const { path } = result;
        assert.equal(path[0], '/');
        assert.deepEqual(canonicaliseTarget(path, opts), { ok: true, path, query: '' });
        for (const bad of ['/./', '/../', '//', '%2F', '%2f', '%5C', '%5c', '%25', '\\', '\u0000']) assert.ok(!path.includes(bad), `${path} has ${bad}`);
        assert.ok(!path.endsWith('/.') && !path.endsWith('/..'), path);
      }),
      { numRuns: 5000 },
    );
  });

  it('means the same path to an upstream that decodes once, twice, or resolves dot segments (WHATWG URL)', () => {
    fc.assert(
      fc.property(target, (raw) => {
        const result = canonicaliseTarget(raw);
        if (!result.ok) return;
        const once = decodeURIComponent(result.path);
        // no '%25' survives, so a second decoding changes nothing
        assert.ok(!once.includes('%'), once);
        // decoding cannot create or remove a separator or a dot segment
        const segments = once.split('/');
        assert.equal(segments.length, result.path.split('/').length);
        assert.ok(segments.every((s) => s !== '.' && s !== '..' && !s.includes('\\')), once);
        // a URL parser that resolves dot segments and %2e sees this path unchanged
        assert.equal(new URL(result.path, 'http://upstream.test').pathname, result.path);
      }),
      { numRuns: 3000 },
    );
  });

  it('gives equivalent spellings of a path one canonical form', () => {
    const plain = fc.constantFrom(...'abcXYZ019-_~:@!$&+,='.split(''));
    const segment = fc
      .array(fc.oneof(plain, fc.constantFrom('%3B', '%C3%A9', '%20x', '.')), { minLength: 1, maxLength: 6 })
      .map((chars) => chars.join(''))
      .filter((s) => !/^(?:\.|%20)*$/.test(s));
    // each segment spelled with random escapes of its unreserved chars and lower-case hex
    const respell = (s: string, mask: number) =>
      s.replace(/%[0-9A-F]{2}|./g, (m, offset: number) => {
        const bit = (mask >> (offset % 30)) & 1;
        if (m.length === 3) return bit ? m.toLowerCase() : m;
        return bit && /[A-Za-z0-9._~-]/.test(m) ? '%' + m.charCodeAt(0).toString(16).padStart(2, '0') : m;
      });
    const noise = fc.constantFrom('', '/', './', '%2e/', 'zz/../', 'q/%2E%2E/', './/');
    fc.assert(
      fc.property(fc.array(fc.tuple(segment, fc.nat(), noise), { minLength: 1, maxLength: 8 }), fc.boolean(), (parts, trailing) => {
        const clean = '/' + parts.map(([s]) => s).join('/') + (trailing ? '/' : '');
        const noisy = '/' + parts.map(([s, mask, n]) => n + respell(s, mask)).join('/') + (trailing ? '/' : '');
        const expected = canonicaliseTarget(clean);
        assert.ok(expected.ok, clean);
        assert.equal(expected.path, clean);
        assert.deepEqual(canonicaliseTarget(noisy), expected, noisy);
      }),
      { numRuns: 2000 },
    );
  });

  it('runs in linear time on a pathological target', () => {
    const raw = '/' + 'a/%2e%2e/b/'.repeat(8000) + '%41'.repeat(8000) + '?' + '%41'.repeat(8000);
    const start = performance.now();
    const result = canonicaliseTarget(raw);
    assert.equal(result.ok, true);
    assert.ok(performance.now() - start < 500);
  });
});

// keeps the type import honest: every refusal is a TargetRefusal
const _reasons: readonly TargetRefusal[] = TARGET_REFUSALS;
