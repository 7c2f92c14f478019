import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseKeyPart } from '../config/rate-limits.ts';
import type { RequestFacts } from '../limiter/request-values.ts';
import { createLogins } from './logins.ts';

const facts = (body: unknown, query = ''): RequestFacts => ({ clientIp: '127.0.0.2', operation: '', params: null, query, headers: {}, rawHeaders: [], principal: null, body });

describe('login requests', () => {
  const auto = createLogins([], true);

  it('recognises POSTs whose operationId or last path segment reads as a login', () => {
    for (const op of ['createSession', 'login', 'user_login', 'signIn', 'postOauthToken', 'authenticateUser']) assert.ok(auto.loginOf('POST', op, null), op);
    for (const path of ['/login', '/v1/auth/signin', '/api/sessions', '/oauth/token', '/users/authenticate']) assert.ok(auto.loginOf('POST', null, path), path);
  });

  it('leaves alone what only looks alike: reads, and words that contain a login word', () => {
    assert.equal(auto.loginOf('GET', 'createSession', '/sessions'), null);
    for (const op of ['listTokenizers', 'getLoginHistory', 'catalogue']) assert.equal(auto.loginOf('POST', op, '/x'), null, op);
    assert.equal(auto.loginOf('POST', null, '/v1/tokens/revoke'), null);
  });

  it('reads the account from the usual fields, lower-cased, never the password', () => {
    assert.equal(auto.accountOf({ account: null }, facts({ password: 'p', email: 'Bob@Example.com' })), 'bob@example.com');
    assert.equal(auto.accountOf({ account: null }, facts({ username: 'root', email: 'x@y' })), 'root');
    assert.equal(auto.accountOf({ account: null }, facts({ password: 'hunter2' })), null);
    assert.equal(auto.accountOf({ account: null }, facts(['email'])), null);
    assert.equal(auto.accountOf({ account: null }, facts({ email: 42 })), null);
  });

  it('takes the policy\'s operations and account field, also for undocumented paths, and nothing else when auto is off', () => {
    const named = createLogins([{ operations: ['doSignon', 'post /legacy/check'], account: parseKeyPart('body.credentials.id') }], false);
    const spec = named.loginOf('POST', 'doSignon', null);
    assert.ok(spec);
    assert.equal(named.accountOf(spec, facts({ credentials: { id: 'Carol' } })), 'carol');
    assert.ok(named.loginOf('POST', null, '/legacy/check'));
    assert.equal(named.loginOf('POST', 'createSession', '/login'), null);
    const byQuery = createLogins([{ operations: ['signon'], account: parseKeyPart('query.user') }], false);
    assert.equal(byQuery.accountOf(byQuery.loginOf('POST', 'signon', null)!, facts(undefined, 'user=dave&x=1')), 'dave');
  });

  it('cuts an absurdly long account name to a bound', () => {
    assert.equal(auto.accountOf({ account: null }, facts({ user: 'a'.repeat(10_000) }))!.length, 256);
  });
});
