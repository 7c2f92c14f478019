import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseKeyPart } from '../config/rate-limits.ts';
import type { AuthConfig } from '../config/types.ts';
import type { Operation } from '../openapi/types.ts';
import { compileAccessPolicy, decideAccess, type ValueReader } from './access.ts';
import type { AuthOutcome, AuthRequest, Principal, SchemeVerifier } from './types.ts';

function principal(id: string, scopes: string[] = [], roles: string[] = [], claims: Record<string, unknown> = {}): Principal {
  return { id, subject: id, method: 'jwt', scheme: 'x', scopes, roles, claims, plan: null, expiresAt: null };
}

/** A verifier that answers from a fixed table: what the credential in `x-test-<scheme>` maps to. */
function verifier(scheme: string, table: Record<string, AuthOutcome>, challenge: string | null = `Test realm="${scheme}"`): SchemeVerifier {
  return {
    scheme,
    method: 'jwt',
    needsBody: false,
    authenticate(req) {
      const value = req.headers[`x-test-${scheme}`];
      if (value === undefined) return { result: 'missing' };
      return table[String(value)] ?? { result: 'invalid', reason: 'unknown credential' };
    },
    challenge: (error) => (challenge && error ? `${challenge}, error="${error}"` : challenge),
  };
}

function op(security: Operation['security'], extra: Partial<Operation> = {}): Operation {
  return { method: 'GET', template: '/v1/users/{userId}', documentPath: '/users/{userId}', operationId: 'getUser', deprecated: false, parameters: [], security, tags: ['users'], extensions: {}, source: '/x.yaml', ...extra };
}

const noAuth: AuthConfig = { schemes: {}, public: [], rules: [], principalHeaders: true };

function request(headers: Record<string, string> = {}): AuthRequest {
  return { method: 'GET', path: '/v1/users/u1', query: '', headers, rawHeaders: Object.entries(headers).flat(), peerCertificate: null, peerCertificateAuthorized: false, body: null, now: Date.now() };
}

const verifiers = new Map<string, SchemeVerifier>([
  ['bearer', verifier('bearer', {
    alice: { result: 'authenticated', principal: principal('alice', ['read'], [], { sub: 'u1' }) },
    admin: { result: 'authenticated', principal: principal('admin', ['read', 'write'], ['admin'], { sub: 'root' }) },
    expired: { result: 'invalid', reason: 'expired', bearerError: 'invalid_token' },
    down: { result: 'unavailable', reason: 'jwks unreachable' },
  })],
  ['key', verifier('key', { k1: { result: 'authenticated', principal: principal('apikey:k1', ['read']) } }, null)],
]);
const noValue: ValueReader = () => null;

describe('decideAccess: OpenAPI security semantics', () => {
  it('alternatives are OR: either scheme suffices', async () => {
    const policy = compileAccessPolicy(op([{ bearer: [] }, { key: [] }]), noAuth);
    assert.equal((await decideAccess(policy, verifiers, request({ 'x-test-bearer': 'alice' }), noValue)).allowed, true);
    assert.equal((await decideAccess(policy, verifiers, request({ 'x-test-key': 'k1' }), noValue)).allowed, true);
    const none = await decideAccess(policy, verifiers, request(), noValue);
    assert.deepEqual([none.allowed, !none.allowed && none.status, !none.allowed && none.challenges], [false, 401, ['Test realm="bearer"']]);
  });

  it('schemes inside one alternative are AND: both must hold, and the first names the principal', async () => {
    const policy = compileAccessPolicy(op([{ bearer: [], key: [] }]), noAuth);
    const one = await decideAccess(policy, verifiers, request({ 'x-test-bearer': 'alice' }), noValue);
    assert.equal(one.allowed, false);
    const both = await decideAccess(policy, verifiers, request({ 'x-test-bearer': 'alice', 'x-test-key': 'k1' }), noValue);
    assert.equal(both.allowed && both.principal?.id, 'alice');
  });

  it('scopes: valid but insufficient is 403 with insufficient_scope, compared case-sensitively', async () => {
    const policy = compileAccessPolicy(op([{ bearer: ['write'] }]), noAuth);
    const d = await decideAccess(policy, verifiers, request({ 'x-test-bearer': 'alice' }), noValue);
    assert.equal(d.allowed, false);
    if (!d.allowed) {
      assert.equal(d.status, 403);
      assert.equal(d.outcome, 'insufficient');
      assert.deepEqual(d.challenges, ['Test realm="bearer", error="insufficient_scope"']);
    }
    assert.equal((await decideAccess(compileAccessPolicy(op([{ bearer: ['READ'] }]), noAuth), verifiers, request({ 'x-test-bearer': 'alice' }), noValue)).allowed, false);
    assert.equal((await decideAccess(policy, verifiers, request({ 'x-test-bearer': 'admin' }), noValue)).allowed, true);
  });

  it('an invalid credential is 401 invalid_token, even where an anonymous alternative exists', async () => {
    for (const security of [[{ bearer: [] }], [{ bearer: [] }, {}]] as Array<Array<Record<string, string[]>>>) {
      const d = await decideAccess(compileAccessPolicy(op(security), noAuth), verifiers, request({ 'x-test-bearer': 'expired' }), noValue);
      assert.equal(d.allowed, false);
      if (!d.allowed) assert.deepEqual([d.status, d.outcome, d.challenges], [401, 'invalid', ['Test realm="bearer", error="invalid_token"']]);
    }
  });

  it('honours an explicit anonymous alternative ({} in the list, or security: [])', async () => {
    for (const security of [[{ bearer: [] }, {}], []] as Array<Array<Record<string, string[]>>>) {
      const d = await decideAccess(compileAccessPolicy(op(security), noAuth), verifiers, request(), noValue);
      assert.deepEqual(d.allowed && [d.outcome, d.principal], ['anonymous', null]);
    }
    // optional authentication still names the principal when a valid credential comes
    const d = await decideAccess(compileAccessPolicy(op([{ bearer: [] }, {}]), noAuth), verifiers, request({ 'x-test-bearer': 'alice' }), noValue);
    assert.equal(d.allowed && d.principal?.id, 'alice');
  });

  it('denies by default an operation with no requirement, unless it is marked public', async () => {
    const d = await decideAccess(compileAccessPolicy(op(null), noAuth), verifiers, request({ 'x-test-bearer': 'admin' }), noValue);
    assert.deepEqual(!d.allowed && [d.status, d.outcome], [403, 'no-rule']);
    const byExtension = compileAccessPolicy(op(null, { extensions: { 'x-apiwarden-public': true } }), noAuth);
    assert.equal((await decideAccess(byExtension, verifiers, request(), noValue)).allowed, true);
    const byPolicy = compileAccessPolicy(op(null), { ...noAuth, public: ['GET /v1/users/{userId}'] });
    assert.deepEqual((await decideAccess(byPolicy, verifiers, request(), noValue)), { allowed: true, principal: null, outcome: 'public', scheme: null });
  });

  it('a scheme the policy does not configure never satisfies, and never spoils another alternative', async () => {
    const policy = compileAccessPolicy(op([{ unconfigured: [] }, { key: [] }]), noAuth);
    assert.equal((await decideAccess(policy, verifiers, request({ 'x-test-key': 'k1' }), noValue)).allowed, true);
    const alone = await decideAccess(compileAccessPolicy(op([{ unconfigured: [] }]), noAuth), verifiers, request({ 'x-test-key': 'k1' }), noValue);
    assert.deepEqual(!alone.allowed && [alone.status, alone.outcome], [401, 'missing']);
  });

  it('an identity provider that is down gives 503, not 401', async () => {
    const d = await decideAccess(compileAccessPolicy(op([{ bearer: [] }]), noAuth), verifiers, request({ 'x-test-bearer': 'down' }), noValue);
    assert.deepEqual(!d.allowed && [d.status, d.outcome], [503, 'unavailable']);
  });
});

describe('decideAccess: policy rules', () => {
  const owner: AuthConfig = {
    ...noAuth,
    rules: [{ match: { operations: ['getUser'], tags: [] }, roles: [], claims: {}, owner: { value: parseKeyPart('path.userId'), claim: 'sub', unlessRoles: ['admin'] }, origin: 'auth.rules[0]' }],
  };
  const policy = compileAccessPolicy(op([{ bearer: [] }]), owner);

  it('one principal cannot read another\'s object (BOLA), an admin can', async () => {
    const own = await decideAccess(policy, verifiers, request({ 'x-test-bearer': 'alice' }), () => 'u1');
    assert.equal(own.allowed, true);
    const other = await decideAccess(policy, verifiers, request({ 'x-test-bearer': 'alice' }), () => 'u2');
    assert.deepEqual(!other.allowed && [other.status, other.outcome], [403, 'forbidden']);
    assert.equal((await decideAccess(policy, verifiers, request({ 'x-test-bearer': 'admin' }), () => 'u2')).allowed, true);
  });

  it('an ambiguous or missing value never matches', async () => {
    assert.equal((await decideAccess(policy, verifiers, request({ 'x-test-bearer': 'alice' }), () => 'ambiguous')).allowed, false);
    assert.equal((await decideAccess(policy, verifiers, request({ 'x-test-bearer': 'alice' }), () => null)).allowed, false);
  });

  it('roles and claims', async () => {
    const cfg: AuthConfig = { ...noAuth, rules: [{ match: { operations: [], tags: ['users'] }, roles: ['admin'], claims: {}, owner: null, origin: 'r' }] };
    const p = compileAccessPolicy(op([{ bearer: [] }]), cfg);
    assert.equal((await decideAccess(p, verifiers, request({ 'x-test-bearer': 'alice' }), noValue)).allowed, false);
    assert.equal((await decideAccess(p, verifiers, request({ 'x-test-bearer': 'admin' }), noValue)).allowed, true);
    const claims: AuthConfig = { ...noAuth, rules: [{ match: { operations: [], tags: [] }, roles: [], claims: { sub: 'u1' }, owner: null, origin: 'r' }] };
    const c = compileAccessPolicy(op([{ bearer: [] }]), claims);
    assert.equal((await decideAccess(c, verifiers, request({ 'x-test-bearer': 'alice' }), noValue)).allowed, true);
    assert.equal((await decideAccess(c, verifiers, request({ 'x-test-bearer': 'admin' }), noValue)).allowed, false);
  });
});
