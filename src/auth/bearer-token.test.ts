import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { PeerCertificate } from 'node:tls';
import {
  bearerChallenge,
  checkConfirmation,
  extractBearerToken,
  readClaim,
  readPlan,
  readScopes,
  readStringList,
} from './bearer-token.ts';
import { authRequest } from './testing/test-helpers.ts';

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln';

function extract(init: Parameters<typeof authRequest>[0]) {
  return extractBearerToken(authRequest(init));
}

test('Authorization: Bearer <token68> gives the token; the scheme name is case-insensitive', () => {
  for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
    assert.deepEqual(extract({ headers: [['Authorization', `${scheme} ${TOKEN}`]] }), { token: TOKEN });
  }
  assert.deepEqual(extract({ headers: [['authorization', 'Bearer abc+/~_-.123==']] }), { token: 'abc+/~_-.123==' });
});

test('no Authorization header and no token elsewhere: missing', () => {
  assert.deepEqual(extract({}).outcome, { result: 'missing' });
  assert.deepEqual(extract({ query: 'page=2' }).outcome, { result: 'missing' });
});

test('an Authorization header with another scheme is left to the other schemes: missing', () => {
  assert.deepEqual(extract({ headers: [['Authorization', 'Basic dXNlcjpwYXNz']] }).outcome, { result: 'missing' });
  assert.deepEqual(extract({ headers: [['Authorization', 'DPoP abc']] }).outcome, { result: 'missing' });
  assert.deepEqual(extract({ headers: [['Authorization', 'Bearerabc']] }).outcome, { result: 'missing' });
});

test('malformed bearer credentials: invalid_request', () => {
  const cases = ['Bearer', 'Bearer ', `Bearer  ${TOKEN}`, `Bearer ${TOKEN} extra`, 'Bearer a,b', 'Bearer =abc', 'Bearer abc=def', 'Bearer "abc"', 'Bearer abc\tdef'];
  for (const value of cases) {
    const { outcome } = extract({ headers: [['Authorization', value]] });
    assert.equal(outcome?.result, 'invalid', JSON.stringify(value));
    assert.equal(outcome.result === 'invalid' && outcome.bearerError, 'invalid_request', JSON.stringify(value));
  }
});

test('attack: two Authorization headers are refused (invalid_request), whatever their contents', () => {
  for (const second of [`Bearer ${TOKEN}`, 'Bearer other', 'Basic dXNlcjpwYXNz']) {
    const { outcome } = extract({ headers: [['Authorization', `Bearer ${TOKEN}`], ['authorization', second]] });
    assert.deepEqual(outcome, { result: 'invalid', reason: 'more than one Authorization header', bearerError: 'invalid_request' });
  }
});

test('attack: a token in the query string where the scheme says header is refused (invalid_request)', () => {
  for (const query of [`access_token=${TOKEN}`, `a=1&access_token=${TOKEN}`, `access%5Ftoken=${TOKEN}`, 'access_token=']) {
    const { outcome } = extract({ query });
    assert.equal(outcome?.result, 'invalid', query);
    assert.equal(outcome.result === 'invalid' && outcome.bearerError, 'invalid_request', query);
  }
  // with a header too it is ambiguous: still refused, not silently ignored
  const both = extract({ headers: [['Authorization', `Bearer ${TOKEN}`]], query: `access_token=${TOKEN}` }).outcome;
  assert.deepEqual(both, { result: 'invalid', reason: 'access token both in the Authorization header and outside it', bearerError: 'invalid_request' });
  // and next to another scheme's credentials
  const basic = extract({ headers: [['Authorization', 'Basic dXNlcjpwYXNz']], query: `access_token=${TOKEN}` }).outcome;
  assert.equal(basic?.result, 'invalid');
});

test('a token in a form body is refused like one in the query; other bodies are not read', () => {
  const form = { headers: [['Content-Type', 'application/x-www-form-urlencoded; charset=utf-8']] as [string, string][], body: Buffer.from(`a=1&access_token=${TOKEN}`) };
  assert.equal(extract(form).outcome?.result, 'invalid');
  const json = { headers: [['Content-Type', 'application/json']] as [string, string][], body: Buffer.from(`{"access_token":"${TOKEN}"}`) };
  assert.deepEqual(extract(json).outcome, { result: 'missing' });
});

test('challenge: realm is the scheme, error only when given, never a description', () => {
  assert.equal(bearerChallenge('api'), 'Bearer realm="api"');
  assert.equal(bearerChallenge('api', 'invalid_token'), 'Bearer realm="api", error="invalid_token"');
  assert.equal(bearerChallenge('api', 'invalid_request'), 'Bearer realm="api", error="invalid_request"');
  assert.equal(bearerChallenge('a "b" \\c'), 'Bearer realm="a \\"b\\" \\\\c"');
});

test('scopes from a space-separated scope claim, an scp array, or a configured claim', () => {
  assert.deepEqual(readScopes({ scope: 'read  write' }, 'scope'), ['read', 'write']);
  assert.deepEqual(readScopes({ scp: ['read', 'write', 3] }, 'scope'), ['read', 'write']);
  assert.deepEqual(readScopes({ scope: 'a', scp: ['b'] }, 'scope'), ['a']);
  assert.deepEqual(readScopes({ perms: ['x'] }, 'perms'), ['x']);
  assert.deepEqual(readScopes({ scope: 42 }, 'scope'), []);
  assert.deepEqual(readStringList(undefined), []);
});

test('claims by exact name first, then as a dotted path', () => {
  const claims = { 'https://example.com/roles': ['admin'], realm_access: { roles: ['ops'] }, plan: 'gold' };
  assert.deepEqual(readClaim(claims, 'https://example.com/roles'), ['admin']);
  assert.deepEqual(readClaim(claims, 'realm_access.roles'), ['ops']);
  assert.equal(readClaim(claims, 'realm_access.missing'), undefined);
  assert.equal(readClaim(claims, 'toString'), undefined);
  assert.equal(readPlan(claims, 'plan'), 'gold');
  assert.equal(readPlan(claims, undefined), null);
  assert.equal(readPlan({ plan: 3 }, 'plan'), null);
});

test('sender-constrained tokens: certificate thumbprint checked, other confirmation methods refused', () => {
  const raw = Buffer.from('a certificate');
  const thumbprint = createHash('sha256').update(raw).digest('base64url');
  const cert = { raw } as PeerCertificate;
  assert.equal(checkConfirmation({}, authRequest()), null);
  assert.equal(checkConfirmation({ cnf: { 'x5t#S256': thumbprint } }, authRequest({ peerCertificate: cert })), null);
  assert.match(checkConfirmation({ cnf: { 'x5t#S256': thumbprint } }, authRequest()) ?? '', /without a client certificate/);
  const other = { raw: Buffer.from('another') } as PeerCertificate;
  assert.match(checkConfirmation({ cnf: { 'x5t#S256': thumbprint } }, authRequest({ peerCertificate: other })) ?? '', /another client certificate/);
  assert.match(checkConfirmation({ cnf: { jkt: 'abc' } }, authRequest()) ?? '', /cnf jkt/);
  assert.match(checkConfirmation({ cnf: 'x' }, authRequest()) ?? '', /malformed/);
});
