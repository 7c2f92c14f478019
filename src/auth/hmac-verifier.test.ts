import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { createHmacVerifier, parseSignatureParams, signRequest, stringToSign } from './hmac-verifier.ts';
import type { HmacVerifierOptions } from './hmac-verifier.ts';
import type { AuthOutcome, AuthRequest } from './types.ts';

const T0 = 1_800_000_000_000;
const SECRET = 'a-shared-secret-of-at-least-32-bytes!';
const OTHER_SECRET = 'another-shared-secret-of-32-bytes-or-more';

interface Parts {
  method?: string;
  path?: string;
  query?: string;
  body?: Buffer | null;
  rawHeaders?: string[];
  now?: number;
}

function request(parts: Parts): AuthRequest {
  const rawHeaders = parts.rawHeaders ?? [];
  const headers: Record<string, string> = {};
  for (let i = 0; i < rawHeaders.length; i += 2) headers[rawHeaders[i]!.toLowerCase()] = rawHeaders[i + 1]!;
  return {
    method: parts.method ?? 'POST',
    path: parts.path ?? '/v1/orders',
    query: parts.query ?? '',
    headers,
    rawHeaders,
    peerCertificate: null,
    peerCertificateAuthorized: false,
    body: parts.body === undefined ? Buffer.from('{"qty":1}') : parts.body,
    now: parts.now ?? T0,
  };
}

/** A request signed by `client` over what `signed` says, sent as `sent` says. */
function signed(signedParts: Parts & { keyId?: string; secret?: string; nonce?: string; signedAt?: number }, sent: Parts = {}): AuthRequest {
  const base = request(signedParts);
  const target = base.query === '' ? base.path : `${base.path}?${base.query}`;
  const authorization = signRequest({
    keyId: signedParts.keyId ?? 'billing',
    secret: signedParts.secret ?? SECRET,
    method: base.method,
    target,
    body: base.body,
    now: signedParts.signedAt ?? base.now,
    ...(signedParts.nonce ? { nonce: signedParts.nonce } : {}),
  });
  return request({ ...signedParts, ...sent, rawHeaders: [...(sent.rawHeaders ?? []), 'Authorization', authorization] });
}

function verifier(options: Partial<HmacVerifierOptions> = {}) {
  return createHmacVerifier({
    scheme: 'Signed',
    clients: [
      { id: 'billing', secret: SECRET, scopes: ['orders:write'], roles: ['service'], plan: 'internal' },
      { id: 'reports', secret: OTHER_SECRET },
    ],
    ...options,
  });
}

function reason(outcome: AuthOutcome | Promise<AuthOutcome>): string {
  assert.ok(!(outcome instanceof Promise));
  return outcome.result === 'invalid' || outcome.result === 'unavailable' ? outcome.reason : outcome.result;
}

describe('signRequest', () => {
  it('follows the documented string to sign (fixed vector)', () => {
    const header = signRequest({ keyId: 'billing', secret: SECRET, method: 'POST', target: '/v1/orders?x=1', body: '{"qty":1}', now: T0, nonce: 'AAAAAAAAAAAAAAAAAAAAAA' });
    const bodyHash = createHash('sha256').update('{"qty":1}').digest('hex');
    const expected = createHmac('sha256', SECRET).update(`POST\n/v1/orders?x=1\n1800000000\nAAAAAAAAAAAAAAAAAAAAAA\n${bodyHash}`).digest('base64url');
    assert.equal(header, `AW-HMAC-SHA256 keyId=billing, ts=1800000000, nonce=AAAAAAAAAAAAAAAAAAAAAA, sig=${expected}`);
  });

  it('hashes an empty or absent body as the SHA-256 of nothing', () => {
    const empty = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
    assert.equal(stringToSign('GET', '/', '1', 'n', null), `GET\n/\n1\nn\n${empty}`);
    assert.equal(stringToSign('GET', '/', '1', 'n', Buffer.alloc(0)), `GET\n/\n1\nn\n${empty}`);
  });

  it('draws a fresh nonce each time', () => {
    const a = signRequest({ keyId: 'k', secret: SECRET, method: 'GET', target: '/', now: T0 });
    const b = signRequest({ keyId: 'k', secret: SECRET, method: 'GET', target: '/', now: T0 });
    assert.notEqual(a, b);
  });
});

describe('parseSignatureParams', () => {
  it('takes the four parameters in any order with optional spaces', () => {
    const sig = 'A'.repeat(43);
    assert.deepEqual(parseSignatureParams(`sig=${sig},nonce=${'n'.repeat(16)} ,  ts=1, keyId=k`), { keyId: 'k', ts: '1', nonce: 'n'.repeat(16), sig });
  });

  it('refuses missing, repeated, unknown and malformed parameters', () => {
    const ok = { keyId: 'keyId=k', ts: 'ts=1', nonce: `nonce=${'n'.repeat(16)}`, sig: `sig=${'A'.repeat(43)}` };
    const cases: Array<[string, RegExp]> = [
      [[ok.keyId, ok.ts, ok.nonce].join(', '), /all required/],
      [[ok.keyId, ok.keyId, ok.ts, ok.nonce, ok.sig].join(', '), /keyId given twice/],
      [[ok.keyId, ok.ts, ok.nonce, ok.sig, 'alg=none'].join(', '), /unknown signature parameter "alg"/],
      [[ok.keyId, 'ts=-1', ok.nonce, ok.sig].join(', '), /malformed ts/],
      [[ok.keyId, 'ts=1.5', ok.nonce, ok.sig].join(', '), /malformed ts/],
      [[ok.keyId, ok.ts, 'nonce=short', ok.sig].join(', '), /malformed nonce/],
      [[ok.keyId, ok.ts, ok.nonce, `sig=${'A'.repeat(42)}`].join(', '), /malformed sig/],
      [[ok.keyId, ok.ts, ok.nonce, `sig=${'A'.repeat(42)}=`].join(', '), /malformed sig/],
      [['keyId="k"', ok.ts, ok.nonce, ok.sig].join(', '), /malformed keyId/],
      [['keyId=k ts=1', ok.ts, ok.nonce, ok.sig].join(', '), /malformed keyId/],
      ['', /malformed signature parameters/],
    ];
    for (const [text, message] of cases) {
      const result = parseSignatureParams(text);
      assert.equal(typeof result, 'string', text);
      assert.match(result as string, message, text);
    }
  });
});

describe('createHmacVerifier', () => {
  it('authenticates a correctly signed request', () => {
    const v = verifier();
    assert.equal(v.method, 'hmac');
    assert.equal(v.needsBody, true);
    assert.equal(v.challenge(), 'AW-HMAC-SHA256');
    assert.deepEqual(v.authenticate(signed({ query: 'dry_run=1' })), {
      result: 'authenticated',
      principal: {
        id: 'hmac:billing',
        subject: 'billing',
        method: 'hmac',
        scheme: 'Signed',
        scopes: ['orders:write'],
        roles: ['service'],
        claims: { keyId: 'billing' },
        plan: 'internal',
        expiresAt: null,
      },
    });
  });

  it('refuses a request changed after signing: method, path, query or body', () => {
    const v = verifier();
    assert.equal(reason(v.authenticate(signed({}, { method: 'PUT' }))), 'bad signature');
    assert.equal(reason(v.authenticate(signed({}, { path: '/v1/orders/2' }))), 'bad signature');
    assert.equal(reason(v.authenticate(signed({ query: 'a=1' }, { query: 'a=2' }))), 'bad signature');
    assert.equal(reason(v.authenticate(signed({ query: 'a=1' }, { query: '' }))), 'bad signature');
    assert.equal(reason(v.authenticate(signed({}, { body: Buffer.from('{"qty":100}') }))), 'bad signature');
  });

  it('refuses a wrong secret and an unknown client', () => {
    const v = verifier();
    assert.equal(reason(v.authenticate(signed({ secret: OTHER_SECRET }))), 'bad signature');
    assert.equal(reason(v.authenticate(signed({ keyId: 'nobody' }))), 'unknown hmac client');
    assert.equal(v.authenticate(signed({ keyId: 'reports', secret: OTHER_SECRET })).result, 'authenticated');
  });

  it('refuses timestamps outside the replay window, either side', () => {
    const v = verifier({ replayWindowMs: 60_000 });
    assert.equal(v.authenticate(signed({ signedAt: T0 - 60_000 })).result, 'authenticated');
    assert.equal(v.authenticate(signed({ signedAt: T0 + 60_000 })).result, 'authenticated');
    assert.equal(reason(v.authenticate(signed({ signedAt: T0 - 61_000 }))), 'signature timestamp outside the replay window');
    assert.equal(reason(v.authenticate(signed({ signedAt: T0 + 61_000 }))), 'signature timestamp outside the replay window');
  });

  it('refuses a replayed nonce within the window, per client', () => {
    const v = verifier();
    const nonce = 'bm9uY2Utbm9uY2Utbm9uY2U';
    const first = signed({ nonce });
    assert.equal(v.authenticate(first).result, 'authenticated');
    assert.equal(reason(v.authenticate({ ...first, now: T0 + 1000 })), 'replayed nonce');
    assert.equal(v.authenticate(signed({ nonce, keyId: 'reports', secret: OTHER_SECRET })).result, 'authenticated', 'another client may use the same nonce');
  });

  it('does not let an unverified request burn a nonce', () => {
    const v = verifier();
    const nonce = 'dW52ZXJpZmllZC1ub25jZQ';
    assert.equal(reason(v.authenticate(signed({ nonce, secret: OTHER_SECRET }))), 'bad signature');
    assert.equal(v.authenticate(signed({ nonce })).result, 'authenticated');
  });

  it('when the nonce memory is full of live nonces, answers unavailable rather than forgetting one', () => {
    const v = verifier({ maxNonces: 2, replayWindowMs: 10_000 });
    assert.equal(v.authenticate(signed({})).result, 'authenticated');
    assert.equal(v.authenticate(signed({})).result, 'authenticated');
    assert.equal(reason(v.authenticate(signed({}))), 'hmac nonce memory full');
    // once the first nonces are past ts + window, there is room again
    assert.equal(v.authenticate(signed({ now: T0 + 10_001, signedAt: T0 + 10_001 })).result, 'authenticated');
  });

  it('answers missing without the header or with another scheme in it', () => {
    const v = verifier();
    assert.deepEqual(v.authenticate(request({})), { result: 'missing' });
    assert.deepEqual(v.authenticate(request({ rawHeaders: ['Authorization', 'Bearer abc'] })), { result: 'missing' });
    assert.deepEqual(v.authenticate(request({ rawHeaders: ['Authorization', 'AW-HMAC-SHA256'] })), { result: 'missing' });
  });

  it('refuses two signature headers', () => {
    const v = verifier();
    const once = signed({});
    const twice = { ...once, rawHeaders: [...once.rawHeaders, ...once.rawHeaders] };
    assert.deepEqual(v.authenticate(twice), { result: 'invalid', reason: 'more than one authorization header', bearerError: 'invalid_request' });
  });

  it('does not take a body it was not given for an empty one', () => {
    const v = verifier();
    const r = signed({ body: null }, { rawHeaders: ['Content-Length', '9'] });
    assert.equal(v.authenticate(r).result, 'unavailable');
    const chunked = signed({ body: null }, { rawHeaders: ['Transfer-Encoding', 'chunked'] });
    assert.equal(v.authenticate(chunked).result, 'unavailable');
    assert.equal(v.authenticate(signed({ method: 'GET', body: null })).result, 'authenticated');
  });

  it('reads another header when configured', () => {
    const v = verifier({ header: 'X-Signature' });
    const r = signed({});
    const moved = request({ rawHeaders: ['X-Signature', r.rawHeaders[1]!] });
    assert.equal(v.authenticate(moved).result, 'authenticated');
    assert.equal(v.authenticate(signed({})).result, 'missing');
  });

  it('refuses weak or repeated client configuration without quoting secrets', () => {
    assert.throws(() => createHmacVerifier({ scheme: 's', clients: [{ id: 'a', secret: 'short' }] }), (error: Error) => {
      assert.match(error.message, /hmac client "a": the secret must be at least 32 bytes/);
      assert.ok(!error.message.includes('short'));
      return true;
    });
    assert.throws(() => createHmacVerifier({ scheme: 's', clients: [{ id: 'a', secret: SECRET }, { id: 'a', secret: SECRET }] }), /listed twice/);
    assert.throws(() => createHmacVerifier({ scheme: 's', clients: [{ id: 'a b', secret: SECRET }] }), /must be a token/);
    assert.throws(() => createHmacVerifier({ scheme: 's', clients: [], replayWindowMs: 0 }), RangeError);
  });
});
