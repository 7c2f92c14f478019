import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request as httpsRequest } from 'node:https';
import type { Server } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import { certificateName, createMtlsVerifier, parseSubjectAltName } from './mtls-verifier.ts';
import type { MtlsVerifierOptions } from './mtls-verifier.ts';
import { createTestCa, opensslVersion } from './testing/pki/test-helpers.ts';
import type { IssuedCertificate } from './testing/pki/test-helpers.ts';
import type { AuthOutcome, AuthRequest } from './types.ts';

function requestWith(cert: PeerCertificate | null, isAuthorized: boolean, now = Date.now()): AuthRequest {
  return { method: 'GET', path: '/', query: '', headers: {}, rawHeaders: [], peerCertificate: cert, peerCertificateAuthorized: isAuthorized, body: null, now };
}

/** Enough of a PeerCertificate for the name mapping. */
function fakeCert(parts: { cn?: string | string[]; san?: string; from?: string; to?: string }): PeerCertificate {
  return {
    subject: parts.cn === undefined ? {} : { CN: parts.cn },
    issuer: { CN: 'Test CA' },
    subjectaltname: parts.san,
    valid_from: parts.from ?? 'Jan  1 00:00:00 2020 GMT',
    valid_to: parts.to ?? 'Jan  1 00:00:00 2100 GMT',
    raw: Buffer.from([1]),
    serialNumber: '01',
    fingerprint256: 'AA',
  } as unknown as PeerCertificate;
}

describe('parseSubjectAltName', () => {
  it('splits Node\'s subjectaltname string', () => {
    assert.deepEqual(parseSubjectAltName('DNS:a.example, DNS:b.example, email:me@x.example, URI:spiffe://td/ns/a, IP Address:127.0.0.1'), [
      ['DNS', 'a.example'],
      ['DNS', 'b.example'],
      ['email', 'me@x.example'],
      ['URI', 'spiffe://td/ns/a'],
      ['IP Address', '127.0.0.1'],
    ]);
  });

  it('reads a JSON-quoted value as one value (CVE-2021-44532)', () => {
    assert.deepEqual(parseSubjectAltName('URI:"http://a/b\\u002c DNS:evil", DNS:ok'), [
      ['URI', 'http://a/b, DNS:evil'],
      ['DNS', 'ok'],
    ]);
    assert.deepEqual(parseSubjectAltName('DNS:"quoted\\"inside"'), [['DNS', 'quoted"inside']]);
  });

  it('gives null for what it cannot read unambiguously', () => {
    assert.equal(parseSubjectAltName('no colon here'), null);
    assert.equal(parseSubjectAltName('DNS:"unterminated'), null);
    assert.equal(parseSubjectAltName('DNS:"a"junk, DNS:b'), null);
  });
});

describe('certificateName', () => {
  it('maps the subject CN or the first SAN of a type', () => {
    const cert = fakeCert({ cn: 'alice', san: 'DNS:alice.svc, DNS:other.svc, email:alice@example.org, URI:spiffe://example.org/alice' });
    assert.deepEqual(certificateName(cert, 'subject-cn'), { name: 'alice' });
    assert.deepEqual(certificateName(cert, 'san-dns'), { name: 'alice.svc' });
    assert.deepEqual(certificateName(cert, 'san-email'), { name: 'alice@example.org' });
    assert.deepEqual(certificateName(cert, 'san-uri'), { name: 'spiffe://example.org/alice' });
  });

  it('refuses certificates without the name, with several CNs, or names with control characters', () => {
    assert.match((certificateName(fakeCert({}), 'subject-cn') as { reason: string }).reason, /without a subject-cn name/);
    assert.match((certificateName(fakeCert({ cn: '' }), 'subject-cn') as { reason: string }).reason, /without a subject-cn name/);
    assert.match((certificateName(fakeCert({ cn: ['a', 'b'] }), 'subject-cn') as { reason: string }).reason, /several subject CNs/);
    assert.match((certificateName(fakeCert({ cn: 'a' }), 'san-dns') as { reason: string }).reason, /without subjectAltName/);
    assert.match((certificateName(fakeCert({ san: 'DNS:a' }), 'san-uri') as { reason: string }).reason, /without a san-uri name/);
    assert.match((certificateName(fakeCert({ cn: 'a\r\nX-Injected: 1' }), 'subject-cn') as { reason: string }).reason, /control characters/);
    assert.match((certificateName(fakeCert({ san: 'DNS:"a\\nb"' }), 'san-dns') as { reason: string }).reason, /control characters/);
  });
});

describe('createMtlsVerifier (certificate objects)', () => {
  const verify = (options: Partial<MtlsVerifierOptions>, cert: PeerCertificate | null, isAuthorized = true, now?: number) =>
    createMtlsVerifier({ scheme: 'mtls', principalFrom: 'subject-cn', ...options }).authenticate(requestWith(cert, isAuthorized, now));

  it('answers missing without a certificate (null, or the {} of getPeerCertificate)', () => {
    assert.deepEqual(verify({}, null), { result: 'missing' });
    assert.deepEqual(verify({}, {} as PeerCertificate), { result: 'missing' });
  });

  it('checks the validity dates against the request clock', () => {
    const cert = fakeCert({ cn: 'a', from: 'Jan  1 00:00:00 2030 GMT', to: 'Jan  2 00:00:00 2030 GMT' });
    assert.equal((verify({}, cert, true, Date.UTC(2029, 11, 31)) as { reason: string }).reason, 'client certificate not yet valid');
    assert.equal(verify({}, cert, true, Date.UTC(2030, 0, 1, 12)).result, 'authenticated');
    assert.equal((verify({}, cert, true, Date.UTC(2030, 0, 2, 0, 0, 1)) as { reason: string }).reason, 'client certificate expired');
    assert.equal((verify({}, fakeCert({ cn: 'a', to: 'garbage' })) as { reason: string }).reason, 'client certificate with unreadable validity dates');
  });

  it('applies the allow list and roles by exact name, never inherited properties', () => {
    const options = { allow: ['alice', '__proto__'], roles: { alice: ['admin'] } };
    const alice = verify(options, fakeCert({ cn: 'alice' }));
    assert.equal(alice.result === 'authenticated' && alice.principal.roles[0], 'admin');
    assert.equal((verify(options, fakeCert({ cn: 'Alice' })) as { reason: string }).reason, 'client certificate name not allowed');
    const proto = verify(options, fakeCert({ cn: '__proto__' }));
    assert.deepEqual(proto.result === 'authenticated' && proto.principal.roles, []);
  });

  it('refuses an unknown principalFrom', () => {
    assert.throws(() => createMtlsVerifier({ scheme: 's', principalFrom: 'subject-o' as 'subject-cn' }), TypeError);
  });
});

const openssl = opensslVersion();

describe('createMtlsVerifier over real TLS connections', { skip: openssl === null ? 'the openssl command is not installed' : false }, () => {
  let dir: string;
  let server: Server;
  let port: number;
  let caCert: string;
  const certs: Record<'valid' | 'expired' | 'foreign', IssuedCertificate> = {} as never;
  /** the AuthRequest of the last request, to check dates on a kept-alive connection */
  let lastRequest: AuthRequest | null = null;

  const verifiers = {
    cn: createMtlsVerifier({ scheme: 'mtls', principalFrom: 'subject-cn', roles: { alice: ['billing'] } }),
    dns: createMtlsVerifier({ scheme: 'mtls', principalFrom: 'san-dns' }),
    uri: createMtlsVerifier({ scheme: 'mtls', principalFrom: 'san-uri', allow: ['spiffe://example.org/alice'] }),
    email: createMtlsVerifier({ scheme: 'mtls', principalFrom: 'san-email', allow: ['someone-else@example.org'] }),
  };

  function authRequestOf(req: IncomingMessage): AuthRequest {
    const socket = req.socket as TLSSocket;
    const cert = socket.getPeerCertificate();
    return {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      query: '',
      headers: req.headers,
      rawHeaders: req.rawHeaders,
      peerCertificate: cert && Object.keys(cert).length > 0 ? cert : null,
      peerCertificateAuthorized: socket.authorized,
      body: null,
      now: Date.now(),
    };
  }

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'apiwarden-mtls-'));
    const ca = createTestCa(dir, 'Client CA');
    const other = createTestCa(dir, 'Other CA');
    caCert = ca.cert;
    const serverCert = ca.issue({ cn: 'localhost', dns: ['localhost'], ips: ['127.0.0.1'], usage: 'server' });
    certs.valid = ca.issue({ cn: 'alice', dns: ['alice.svc.example', 'second.svc.example'], uris: ['spiffe://example.org/alice'], emails: ['alice@example.org'] });
    certs.expired = ca.issue({ cn: 'bob', startDate: '20200101000000Z', endDate: '20200102000000Z' });
    certs.foreign = other.issue({ cn: 'alice' });

    server = createServer({ key: serverCert.key, cert: serverCert.cert, ca: [ca.cert], requestCert: true, rejectUnauthorized: false }, (req, res) => {
      const authRequest = authRequestOf(req);
      lastRequest = authRequest;
      const outcomes = Object.fromEntries(Object.entries(verifiers).map(([name, v]) => [name, v.authenticate(authRequest)]));
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(outcomes));
    });
    return new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => {
      port = (server.address() as AddressInfo).port;
      resolve();
    }));
  });

  after(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  function call(client: IssuedCertificate | null): Promise<Record<keyof typeof verifiers, AuthOutcome>> {
    return new Promise((resolve, reject) => {
      const req = httpsRequest({
        host: '127.0.0.1',
        port,
        path: '/whoami',
        servername: 'localhost',
        ca: caCert,
        agent: false,
        ...(client ? { cert: client.cert, key: client.key } : {}),
      }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve(JSON.parse(text)));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('authenticates a valid certificate with the mapped name', async () => {
    const outcomes = await call(certs.valid);
    assert.equal(outcomes.cn.result, 'authenticated');
    const principal = outcomes.cn.result === 'authenticated' ? outcomes.cn.principal : null;
    assert.equal(principal?.id, 'mtls:alice');
    assert.equal(principal?.subject, 'alice');
    assert.equal(principal?.method, 'mtls');
    assert.deepEqual(principal?.roles, ['billing']);
    assert.equal(principal?.claims.issuer, 'Client CA');
    assert.match(String(principal?.claims.fingerprint256), /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    assert.equal(typeof principal?.expiresAt, 'number');
    assert.equal(outcomes.dns.result === 'authenticated' && outcomes.dns.principal.id, 'mtls:alice.svc.example', 'the first DNS SAN');
    assert.equal(outcomes.uri.result === 'authenticated' && outcomes.uri.principal.id, 'mtls:spiffe://example.org/alice');
    assert.deepEqual(outcomes.email, { result: 'invalid', reason: 'client certificate name not allowed' });
  });

  it('refuses an expired certificate', async () => {
    const outcomes = await call(certs.expired);
    assert.deepEqual(outcomes.cn, { result: 'invalid', reason: 'client certificate not verified by the listener' });
    // even if the listener had let it through, the dates are checked
    const forced = { ...lastRequest!, peerCertificateAuthorized: true };
    assert.deepEqual(verifiers.cn.authenticate(forced), { result: 'invalid', reason: 'client certificate expired' });
  });

  it('refuses a certificate from another CA', async () => {
    const outcomes = await call(certs.foreign);
    for (const outcome of Object.values(outcomes)) {
      assert.deepEqual(outcome, { result: 'invalid', reason: 'client certificate not verified by the listener' });
    }
  });

  it('answers missing without a client certificate', async () => {
    const outcomes = await call(null);
    for (const outcome of Object.values(outcomes)) assert.deepEqual(outcome, { result: 'missing' });
  });

  it('refuses a verified certificate once it has expired on a kept connection', async () => {
    await call(certs.valid);
    const later = { ...lastRequest!, now: Date.parse(lastRequest!.peerCertificate!.valid_to) + 1000 };
    assert.deepEqual(verifiers.cn.authenticate(later), { result: 'invalid', reason: 'client certificate expired' });
  });
});
