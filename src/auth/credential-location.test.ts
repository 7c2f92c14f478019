import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { readCookieOnce, readCredential, readHeaderOnce, readQueryParameterOnce } from './credential-location.ts';

describe('readHeaderOnce', () => {
  it('finds a header by name, case-insensitively', () => {
    assert.deepEqual(readHeaderOnce(['Host', 'x', 'X-API-Key', 'k1'], 'x-api-key'), { found: 'one', value: 'k1' });
    assert.deepEqual(readHeaderOnce(['x-api-key', 'k1'], 'X-Api-Key'), { found: 'one', value: 'k1' });
  });

  it('answers none when absent or empty', () => {
    assert.deepEqual(readHeaderOnce(['Host', 'x'], 'x-api-key'), { found: 'none' });
    assert.deepEqual(readHeaderOnce(['X-API-Key', ''], 'x-api-key'), { found: 'none' });
    assert.deepEqual(readHeaderOnce([], 'x-api-key'), { found: 'none' });
  });

  it('refuses two copies, whatever their case and values (even an empty one)', () => {
    assert.deepEqual(readHeaderOnce(['X-API-Key', 'a', 'x-api-key', 'b'], 'x-api-key'), { found: 'duplicate' });
    assert.deepEqual(readHeaderOnce(['X-API-Key', 'a', 'X-API-KEY', 'a'], 'x-api-key'), { found: 'duplicate' });
    assert.deepEqual(readHeaderOnce(['X-API-Key', '', 'X-API-Key', 'a'], 'x-api-key'), { found: 'duplicate' });
  });

  it('reads the raw value, not a comma-joined one', () => {
    assert.deepEqual(readHeaderOnce(['X-API-Key', 'a, b'], 'x-api-key'), { found: 'one', value: 'a, b' });
  });
});

describe('readQueryParameterOnce', () => {
  it('finds a parameter by exact name, form-decoded', () => {
    assert.deepEqual(readQueryParameterOnce('a=1&api_key=k%2Dx&b=2', 'api_key'), { found: 'one', value: 'k-x' });
    assert.deepEqual(readQueryParameterOnce('api_key=a+b', 'api_key'), { found: 'one', value: 'a b' });
  });

  it('is case-sensitive on names', () => {
    assert.deepEqual(readQueryParameterOnce('API_KEY=k', 'api_key'), { found: 'none' });
  });

  it('answers none when absent or empty', () => {
    assert.deepEqual(readQueryParameterOnce('', 'k'), { found: 'none' });
    assert.deepEqual(readQueryParameterOnce('x=1', 'k'), { found: 'none' });
    assert.deepEqual(readQueryParameterOnce('k=', 'k'), { found: 'none' });
    assert.deepEqual(readQueryParameterOnce('k', 'k'), { found: 'none' });
  });

  it('refuses two copies, also when one name is percent-encoded or separated by ;', () => {
    assert.deepEqual(readQueryParameterOnce('k=a&k=b', 'k'), { found: 'duplicate' });
    assert.deepEqual(readQueryParameterOnce('k=a&%6B=b', 'k'), { found: 'duplicate' });
    assert.deepEqual(readQueryParameterOnce('k=a;k=b', 'k'), { found: 'duplicate' });
    assert.deepEqual(readQueryParameterOnce('k=a&k=', 'k'), { found: 'duplicate' });
  });

  it('keeps an encoded ; in the value', () => {
    assert.deepEqual(readQueryParameterOnce('k=a%3Bb', 'k'), { found: 'one', value: 'a;b' });
  });

  it('duplicate exactly when the name occurs more than once, however it is spelled (property)', () => {
    const spellings = fc.constantFrom('k', '%6B', '%6b');
    const other = fc.constantFrom('a=1', 'kk=2', 'K=3', 'x=%6B');
    const value = fc.stringMatching(/^[A-Za-z0-9_-]{1,8}$/);
    fc.assert(
      fc.property(fc.array(fc.tuple(spellings, value), { maxLength: 4 }), fc.array(other, { maxLength: 3 }), fc.constantFrom('&', ';'), (copies, noise, sep) => {
        const parts = [...noise, ...copies.map(([name, v]) => `${name}=${v}`)];
        const result = readQueryParameterOnce(parts.join(sep), 'k');
        if (copies.length === 0) assert.deepEqual(result, { found: 'none' });
        else if (copies.length === 1) assert.deepEqual(result, { found: 'one', value: copies[0]![1] });
        else assert.deepEqual(result, { found: 'duplicate' });
      }),
    );
  });
});

describe('readCookieOnce', () => {
  it('finds a cookie by exact name', () => {
    assert.deepEqual(readCookieOnce(['Cookie', 'a=1; session=s1; b=2'], 'session'), { found: 'one', value: 's1' });
    assert.deepEqual(readCookieOnce(['cookie', 'session=s1'], 'session'), { found: 'one', value: 's1' });
    assert.deepEqual(readCookieOnce(['Cookie', 'Session=s1'], 'session'), { found: 'none' });
  });

  it('takes a quoted value without its quotes and keeps = inside values', () => {
    assert.deepEqual(readCookieOnce(['Cookie', 'session="s1"'], 'session'), { found: 'one', value: 's1' });
    assert.deepEqual(readCookieOnce(['Cookie', 'session=a=b'], 'session'), { found: 'one', value: 'a=b' });
  });

  it('refuses two cookies of the name, in one field or in two', () => {
    assert.deepEqual(readCookieOnce(['Cookie', 'session=a; session=b'], 'session'), { found: 'duplicate' });
    assert.deepEqual(readCookieOnce(['Cookie', 'session=a', 'Cookie', 'session=b'], 'session'), { found: 'duplicate' });
  });

  it('ignores cookies without =, and other headers', () => {
    assert.deepEqual(readCookieOnce(['Cookie', 'session; x=1', 'X-Session', 'session=z'], 'session'), { found: 'none' });
  });
});

describe('readCredential', () => {
  it('reads only from the declared location', () => {
    const request = { rawHeaders: ['api_key', 'h', 'Cookie', 'api_key=c'], query: 'api_key=q' };
    assert.deepEqual(readCredential(request, 'header', 'api_key'), { found: 'one', value: 'h' });
    assert.deepEqual(readCredential(request, 'query', 'api_key'), { found: 'one', value: 'q' });
    assert.deepEqual(readCredential(request, 'cookie', 'api_key'), { found: 'one', value: 'c' });
  });
});
