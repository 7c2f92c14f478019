import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { authSeenOf } from './auth-seen.ts';

/** the query check as it was written before its fast path: lower-case every name, drop '-' and '_', look it up */
function referenceHasKey(query: string): boolean {
  const names = new Set(['apikey', 'key', 'accesstoken', 'token', 'authtoken', 'apitoken', 'subscriptionkey']);
  let start = 0;
  while (start <= query.length) {
    let end = query.indexOf('&', start);
    if (end < 0) end = query.length;
    const eq = query.indexOf('=', start);
    const nameEnd = eq >= 0 && eq < end ? eq : end;
    if (nameEnd > start && nameEnd - start <= 32) {
      const name = query.slice(start, nameEnd).toLowerCase().replace(/[-_]/g, '');
      if (names.has(name) && nameEnd < end - 1) return true;
    }
    start = end + 1;
  }
  return false;
}

const viaQuery = (query: string): boolean => authSeenOf(null, query) === 'apikey';

describe('authSeenOf: keys in the query', () => {
  it('finds key parameters in any case, with - and _, only with a value', () => {
    for (const query of ['api_key=x', 'page=2&API-KEY=x', 'Access_Token=abc', 'a=1&token=t&b=2', 'subscription-key=k', 'KEY=1', '_k_e_y_=v', '\u212Aey=v']) {
      assert.equal(viaQuery(query), true, query);
    }
    for (const query of ['api_key=', 'api_key', 'page=1&sort=key', 'keys=1', 'tokens=x', 'state=abc&to=2026', '=key', 'x=1&key', '']) {
      assert.equal(viaQuery(query), false, query);
    }
    assert.equal(authSeenOf({}, 'page=1'), 'none');
    assert.equal(authSeenOf(null, 'page=1'), null);
  });

  it('property: the same answer as lower-casing every name', () => {
    const piece = fc.constantFrom('key', 'KEY', 'Api', '_', '-', 'token', 'Tok', 'en', 's', 'a', 'k', 't', '=', '&', 'x', '\u212A', '\u0130', 'ß', 'é', 'subscription', 'access', 'auth', '1');
    fc.assert(
      fc.property(fc.array(fc.oneof(piece, fc.string({ maxLength: 4 })), { maxLength: 14 }), (pieces) => {
        const query = pieces.join('');
        assert.equal(viaQuery(query), referenceHasKey(query), JSON.stringify(query));
      }),
      { numRuns: 3000 },
    );
  });
});
