import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { canonicaliseTarget, TARGET_REFUSALS, type TargetRefusal } from './canonical.ts';

import { CASES } from './canonical.cases.ts';

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
