import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createBasicVerifier, extractBasicCredentials, hashPassword } from './basic-verifier.ts';
import type { BasicVerifierOptions } from './basic-verifier.ts';
import type { AuthOutcome, AuthRequest, SchemeVerifier } from './types.ts';

const T0 = 1_800_000_000_000;
const FAST = { N: 1024, r: 8, p: 1 };

function request(rawHeaders: string[], now = T0): AuthRequest {
  const headers: Record<string, string> = {};
  for (let i = 0; i < rawHeaders.length; i += 2) headers[rawHeaders[i]!.toLowerCase()] = rawHeaders[i + 1]!;
  return { method: 'GET', path: '/', query: '', headers, rawHeaders, peerCertificate: null, peerCertificateAuthorized: false, body: null, now };
}

function basic(user: string, password: string): string[] {
  return ['Authorization', `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`];
}

let users: BasicVerifierOptions['users'];
before(async () => {
  users = [
    { name: 'alice', passwordHash: await hashPassword('open sesame', FAST), scopes: ['orders:read'], roles: ['ops'], plan: 'gold' },
    { name: 'jos\u00e9', passwordHash: await hashPassword('pa:ss:word', FAST) },
  ];
});

function verifier(options: Partial<BasicVerifierOptions> = {}): SchemeVerifier {
  return createBasicVerifier({ scheme: 'BasicAuth', realm: 'orders api', users, ...options });
}

describe('extractBasicCredentials', () => {
  it('decodes user-id and password (RFC 7617 §2), splitting at the first colon', () => {
    assert.deepEqual(extractBasicCredentials(request(basic('alice', 'a:b'))), { user: 'alice', password: 'a:b' });
    // the RFC 7617 §2 example
    assert.deepEqual(extractBasicCredentials(request(['Authorization', 'Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=='])), { user: 'Aladdin', password: 'open sesame' });
    // scheme name case-insensitive, several spaces allowed (RFC 9110 §11.1, §11.3)
    assert.deepEqual(extractBasicCredentials(request(['Authorization', 'bASIC   QWxhZGRpbjpvcGVuIHNlc2FtZQ=='])), { user: 'Aladdin', password: 'open sesame' });
  });

  it('answers missing without the header or with another scheme', () => {
    assert.deepEqual(extractBasicCredentials(request([])), { outcome: { result: 'missing' } });
    assert.deepEqual(extractBasicCredentials(request(['Authorization', 'Bearer abc'])), { outcome: { result: 'missing' } });
  });

  it('refuses malformed credentials', () => {
    const cases: Array<[string, RegExp]> = [
      ['Basic', /empty/],
      ['Basic ', /empty/],
      ['Basic QWxh ZGRpbjpv', /not base64/],
      ['Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ', /not base64/],
      ['Basic QWxhZGRpbjpvcGVuIHNlc2FtZR==', /not canonical/],
      ['Basic QWxhZGRpbg==', /without ":"/],
      [`Basic ${Buffer.from(':pw').toString('base64')}`, /empty user-id/],
      [`Basic ${Buffer.from([0x61, 0x3a, 0xff, 0xfe]).toString('base64')}`, /not UTF-8/],
      [`Basic ${Buffer.from('a:b\nc').toString('base64')}`, /control characters/],
    ];
    for (const [value, reason] of cases) {
      const result = extractBasicCredentials(request(['Authorization', value]));
      assert.ok('outcome' in result && result.outcome.result === 'invalid', value);
      assert.match(result.outcome.result === 'invalid' ? result.outcome.reason : '', reason, value);
    }
  });

  it('refuses two Authorization headers', () => {
    const result = extractBasicCredentials(request([...basic('alice', 'open sesame'), ...basic('alice', 'open sesame')]));
    assert.deepEqual(result, { outcome: { result: 'invalid', reason: 'more than one Authorization header', bearerError: 'invalid_request' } });
  });
});

describe('createBasicVerifier', () => {
  it('authenticates a user with the right password', async () => {
    const v = verifier();
    assert.equal(v.method, 'basic');
    assert.equal(v.needsBody, false);
    assert.deepEqual(await v.authenticate(request(basic('alice', 'open sesame'))), {
      result: 'authenticated',
      principal: {
        id: 'basic:alice',
        subject: 'alice',
        method: 'basic',
        scheme: 'BasicAuth',
        scopes: ['orders:read'],
        roles: ['ops'],
        claims: { user: 'alice' },
        plan: 'gold',
        expiresAt: null,
      },
    });
  });

  it('reads UTF-8 user names in NFC, and passwords with colons', async () => {
    const outcome = await verifier().authenticate(request(basic('jose\u0301', 'pa:ss:word')));
    assert.equal(outcome.result, 'authenticated');
    assert.equal(outcome.result === 'authenticated' && outcome.principal.id, 'basic:jos\u00e9');
  });

  it('refuses a wrong password and an unknown user alike to the client', async () => {
    const v = verifier({ cacheMs: 0 });
    assert.deepEqual(await v.authenticate(request(basic('alice', 'open sesame!'))), { result: 'invalid', reason: 'wrong password' });
    assert.deepEqual(await v.authenticate(request(basic('mallory', 'open sesame'))), { result: 'invalid', reason: 'unknown user' });
    assert.deepEqual(await v.authenticate(request(basic('Alice', 'open sesame'))), { result: 'invalid', reason: 'unknown user' });
  });

  it('gives the RFC 7617 challenge', () => {
    assert.equal(verifier().challenge(), 'Basic realm="orders api", charset="UTF-8"');
    assert.equal(createBasicVerifier({ scheme: 'my"scheme', users: [] }).challenge(), 'Basic realm="my\\"scheme", charset="UTF-8"');
  });

  it('remembers a success for cacheMs on the request clock, and only a success', async () => {
    const v = verifier({ cacheMs: 1000 });
    const good = (now: number) => request(basic('alice', 'open sesame'), now);
    assert.equal((await v.authenticate(good(T0))).result, 'authenticated');
    const hit = v.authenticate(good(T0 + 999));
    assert.ok(!(hit instanceof Promise), 'a cache hit answers synchronously');
    assert.equal(hit.result, 'authenticated');
    const again = v.authenticate(good(T0 + 1000));
    assert.ok(again instanceof Promise, 'expired entries are checked again');
    assert.equal((await again).result, 'authenticated');
    const wrong = request(basic('alice', 'nope'));
    await v.authenticate(wrong);
    const retry = v.authenticate(wrong);
    assert.ok(retry instanceof Promise, 'failures are not cached');
    assert.equal((await retry).result, 'invalid');
  });

  it('spends a scrypt computation on unknown users too (it takes a hash slot)', async () => {
    const v = verifier({ cacheMs: 0, maxConcurrentHashes: 1, maxQueuedHashes: 0 });
    const first = v.authenticate(request(basic('nobody', 'x')));
    const second = await v.authenticate(request(basic('alice', 'open sesame')));
    assert.deepEqual(second, { result: 'unavailable', reason: 'too many password checks at once' });
    assert.deepEqual(await first, { result: 'invalid', reason: 'unknown user' });
    assert.equal((await v.authenticate(request(basic('alice', 'open sesame')))).result, 'authenticated', 'the slot is given back');
  });

  it('queues checks up to maxQueuedHashes', async () => {
    const v = verifier({ cacheMs: 0, maxConcurrentHashes: 1, maxQueuedHashes: 2 });
    const outcomes = await Promise.all(Array.from({ length: 4 }, () => v.authenticate(request(basic('alice', 'open sesame')))));
    assert.deepEqual(outcomes.map((o: AuthOutcome) => o.result), ['authenticated', 'authenticated', 'authenticated', 'unavailable']);
  });

  it('refuses bad user lists at construction, without quoting hashes', () => {
    assert.throws(() => createBasicVerifier({ scheme: 's', users: [users[0]!, users[0]!] }), /listed twice/);
    assert.throws(() => createBasicVerifier({ scheme: 's', users: [{ name: 'a:b', passwordHash: users[0]!.passwordHash }] }), /without ':'/);
    assert.throws(() => createBasicVerifier({ scheme: 's', users: [{ name: 'a', passwordHash: 'plaintext-password' }] }), (error: Error) => {
      assert.match(error.message, /basic user "a": a password hash must look like/);
      assert.ok(!error.message.includes('plaintext-password'));
      return true;
    });
  });
});
