import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileCidrSet, isValidIp } from './cidr.ts';
import { resolveClientIp } from './client-ip.ts';

const trusted = compileCidrSet(['10.0.0.0/8', '2001:db8:ffff::/48']);
const PROXY = '10.0.0.1';
const CLIENT = '203.0.113.9';

/** [what, peer, X-Forwarded-For, Forwarded, expected client] */
const CASES: ReadonlyArray<readonly [string, string, string | undefined, string | undefined, string]> = [
  // untrusted peers: headers are never read (spoofing)
  ['direct client', CLIENT, undefined, undefined, CLIENT],
  ['direct client spoofing X-Forwarded-For', CLIENT, '198.51.100.1', undefined, CLIENT],
  ['direct client spoofing a trusted address', CLIENT, '10.0.0.5', undefined, CLIENT],
  ['direct client spoofing Forwarded', CLIENT, undefined, 'for=198.51.100.1', CLIENT],
  ['direct client on a dual-stack listener', '::ffff:203.0.113.9', '198.51.100.1', undefined, CLIENT],
  ['direct IPv6 client, normalised', '2001:DB8:1::9', '198.51.100.1', undefined, '2001:db8:1::9'],
  ['no peer address', '', '198.51.100.1', undefined, ''],
  // trusted peer, X-Forwarded-For
  ['trusted proxy without headers', PROXY, undefined, undefined, PROXY],
  ['trusted proxy as IPv4-mapped IPv6', '::ffff:10.0.0.1', CLIENT, undefined, CLIENT],
  ['trusted IPv6 proxy', '2001:db8:ffff::5', CLIENT, undefined, CLIENT],
  ['one hop', PROXY, CLIENT, undefined, CLIENT],
  ['client-written entries left of the client are ignored', PROXY, `198.51.100.1, ${CLIENT}`, undefined, CLIENT],
  ['client impersonating an internal address behind the proxy', PROXY, `10.0.0.5, ${CLIENT}`, undefined, CLIENT],
  ['trusted hops are skipped', PROXY, `${CLIENT}, 10.0.0.2, 10.0.0.3`, undefined, CLIENT],
  ['all trusted: the leftmost', PROXY, '10.0.0.3, 10.0.0.2', undefined, '10.0.0.3'],
  ['garbage left of a trusted hop stops at that hop', PROXY, 'garbage, 10.0.0.2', undefined, '10.0.0.2'],
  ['garbage written by the peer stops at the peer', PROXY, `${CLIENT}, garbage`, undefined, PROXY],
  ['"unknown" stops the walk', PROXY, `${CLIENT}, unknown`, undefined, PROXY],
  ['IPv4 with port', PROXY, '203.0.113.9:4711', undefined, CLIENT],
  ['bracketed IPv6 with port', PROXY, '[2001:db8::1]:4711', undefined, '2001:db8::1'],
  ['bracketed IPv6', PROXY, '[2001:DB8::1]', undefined, '2001:db8::1'],
  ['IPv6 normalised', PROXY, '2001:DB8:0::1', undefined, '2001:db8::1'],
  ['IPv4-mapped entry normalised', PROXY, '::ffff:203.0.113.9', undefined, CLIENT],
  ['zone id dropped', PROXY, 'fe80::1%eth0', undefined, 'fe80::1'],
  ['whitespace around entries', PROXY, `  ${CLIENT}\t,10.0.0.2 `, undefined, CLIENT],
  ['empty list elements', PROXY, `${CLIENT},, 10.0.0.2,`, undefined, CLIENT],
  ['repeated header lines joined by Node', PROXY, `198.51.100.1, ${CLIENT}, 10.0.0.2`, undefined, CLIENT],
  ['leading-zero IPv4 is garbage', PROXY, '010.0.0.1', undefined, PROXY],
  ['bad port is garbage', PROXY, '203.0.113.9:99999', undefined, PROXY],
  ['empty port is garbage', PROXY, '203.0.113.9:', undefined, PROXY],
  ['CIDR is garbage', PROXY, '203.0.113.0/24', undefined, PROXY],
  ['space-separated list is garbage', PROXY, `${CLIENT} 10.0.0.2`, undefined, PROXY],
  ['unbracketed IPv6 with a port-looking tail is an IPv6 address', PROXY, '2001:db8::1:80', undefined, '2001:db8::1:80'],
  ['blank X-Forwarded-For', PROXY, '  ', undefined, PROXY],
  // trusted peer, Forwarded (RFC 7239), only when X-Forwarded-For is absent
  ['X-Forwarded-For wins over Forwarded', PROXY, CLIENT, 'for=198.51.100.1', CLIENT],
  ['empty X-Forwarded-For falls back to Forwarded', PROXY, '', `for=${CLIENT}`, CLIENT],
  ['Forwarded one hop', PROXY, undefined, `for=${CLIENT}`, CLIENT],
  ['Forwarded RFC 7239 §4 example', PROXY, undefined, 'for=192.0.2.60;proto=http;by=203.0.113.43', '192.0.2.60'],
  ['Forwarded quoted IPv6 with port', PROXY, undefined, 'for="[2001:db8:cafe::17]:4711"', '2001:db8:cafe::17'],
  ['Forwarded quoted IPv4 with port', PROXY, undefined, `For="${CLIENT}:80"`, CLIENT],
  ['Forwarded obfuscated port', PROXY, undefined, 'for="[2001:db8::1]:_p0rt"', '2001:db8::1'],
  ['Forwarded IPv4-mapped', PROXY, undefined, 'for="[::ffff:203.0.113.9]"', CLIENT],
  ['Forwarded client-written element ignored', PROXY, undefined, `for=198.51.100.1, for=${CLIENT};proto=https`, CLIENT],
  ['Forwarded trusted hop skipped', PROXY, undefined, `for=${CLIENT}, for=10.0.0.2`, CLIENT],
  ['Forwarded all trusted', PROXY, undefined, 'for=10.0.0.3, for=10.0.0.2', '10.0.0.3'],
  ['Forwarded "unknown" stops at the last trusted hop', PROXY, undefined, 'for=unknown, for=10.0.0.2', '10.0.0.2'],
  ['Forwarded "unknown" from the peer', PROXY, undefined, `for=${CLIENT}, for=unknown`, PROXY],
  ['Forwarded obfuscated node', PROXY, undefined, 'for="_gazonk"', PROXY],
  ['Forwarded obfuscated node behind a trusted hop', PROXY, undefined, 'for=_hidden, for=10.0.0.2', '10.0.0.2'],
  ['Forwarded whitespace around ";"', PROXY, undefined, `for=${CLIENT} ; proto=https`, CLIENT],
  ['Forwarded commas inside quotes', PROXY, undefined, `for="x, for=198.51.100.1", for=${CLIENT}`, CLIENT],
  ['Forwarded unbalanced quote in the client part', PROXY, undefined, `for="bogus, for=${CLIENT}, for=10.0.0.2`, CLIENT],
  ['Forwarded unquoted IPv6 is malformed', PROXY, undefined, 'for=[2001:db8::1]', PROXY],
  ['Forwarded IPv6 without brackets is malformed', PROXY, undefined, 'for="2001:db8::1"', PROXY],
  ['Forwarded zone id is malformed', PROXY, undefined, 'for="[fe80::1%eth0]"', PROXY],
  ['Forwarded repeated parameter is malformed', PROXY, undefined, `for=${CLIENT};for=198.51.100.1`, PROXY],
  ['Forwarded element without for', PROXY, undefined, 'proto=https;host=example.com', PROXY],
  ['Forwarded unbalanced quote from the peer', PROXY, undefined, `for="${CLIENT}`, PROXY],
  ['Forwarded quoted-pair refused', PROXY, undefined, `for="${CLIENT}\\"`, PROXY],
  ['Forwarded empty value', PROXY, undefined, 'for=', PROXY],
  ['Forwarded empty quoted value', PROXY, undefined, 'for=""', PROXY],
  ['Forwarded bad port', PROXY, undefined, `for="${CLIENT}:70000"`, PROXY],
  ['Forwarded garbage after the value', PROXY, undefined, `for=${CLIENT} x`, PROXY],
  ['Forwarded empty elements', PROXY, undefined, `for=${CLIENT}, , for=10.0.0.2`, CLIENT],
];

describe('resolveClientIp', () => {
  for (const [what, peer, xff, forwarded, expected] of CASES) {
    it(`${what} → ${expected || "''"}`, () => assert.equal(resolveClientIp(peer, xff, forwarded, trusted), expected));
  }

  it('never reads headers when nothing is trusted', () => {
    const none = compileCidrSet([]);
    assert.equal(resolveClientIp(PROXY, CLIENT, `for=${CLIENT}`, none), PROXY);
  });

  it('cannot be steered by anything a client writes left of the first untrusted hop', () => {
    const untrusted = fc.oneof(fc.ipV4(), fc.ipV6()).filter((ip) => !trusted.has(ip));
    const trustedHop = fc.integer({ min: 1, max: 254 }).map((n) => `10.0.${n}.1`);
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), untrusted, fc.array(trustedHop, { maxLength: 4 }), (forged, client, hops) => {
        const expected = resolveClientIp(client, undefined, undefined, trusted);
        const xff = [forged, client, ...hops].join(', ');
        assert.equal(resolveClientIp(PROXY, xff, undefined, trusted), expected);
        const fwd = [forged, ...[client, ...hops].map((ip) => (ip.includes(':') ? `for="[${ip}]"` : `for=${ip}`))].join(', ');
        assert.equal(resolveClientIp(PROXY, undefined, fwd, trusted), expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('returns an address whatever the headers hold', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), fc.string({ unit: 'binary', maxLength: 60 }), (xff, fwd) => {
        assert.ok(isValidIp(resolveClientIp(PROXY, xff, undefined, trusted)));
        assert.ok(isValidIp(resolveClientIp(PROXY, undefined, fwd, trusted)));
      }),
      { numRuns: 2000 },
    );
  });
});
