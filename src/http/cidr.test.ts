import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ApiwardenError } from '../errors.ts';
import { compileCidrSet, isValidIp, normaliseIp, subnetOf } from './cidr.ts';

describe('compileCidrSet', () => {
  const set = compileCidrSet(['10.0.0.0/8', '192.168.1.7', '172.16.0.0/12', '2001:db8::/32', '::1', 'fe80::/10']);
  const MEMBERSHIP: ReadonlyArray<readonly [string, boolean]> = [
    ['10.1.2.3', true],
    ['10.255.255.255', true],
    ['11.0.0.1', false],
    ['9.255.255.255', false],
    ['192.168.1.7', true],
    ['192.168.1.8', false],
    ['172.31.255.255', true],
    ['172.32.0.0', false],
    // IPv4-mapped IPv6, as a dual-stack listener reports IPv4 peers
    ['::ffff:10.1.2.3', true],
    ['::FFFF:10.1.2.3', true],
    ['::ffff:a01:203', true],
    ['::ffff:11.0.0.1', false],
    ['2001:db8:1::1', true],
    ['2001:DB8::1', true],
    ['2001:0db8:0000::0001', true],
    ['2001:db9::1', false],
    ['::1', true],
    ['0:0:0:0:0:0:0:1', true],
    ['::2', false],
    ['fe80::1%eth0', true],
    // not addresses: never members
    ['', false],
    ['garbage', false],
    ['10.1.2.3:80', false],
    ['[::1]', false],
    ['010.1.2.3', false],
    ['10.1.2', false],
    [' 10.1.2.3', false],
    ['10.0.0.0/8', false],
  ];
  for (const [ip, expected] of MEMBERSHIP) {
    it(`has(${JSON.stringify(ip)}) is ${expected}`, () => assert.equal(set.has(ip), expected));
  }

  it('counts its entries', () => {
    assert.equal(set.size, 6);
    assert.equal(compileCidrSet([]).size, 0);
    assert.equal(compileCidrSet([]).has('10.0.0.1'), false);
  });

  it('matches IPv4 addresses against IPv4-mapped entries and the other way round', () => {
    const mapped = compileCidrSet(['::ffff:10.0.0.0/104', '::ffff:192.0.2.1']);
    assert.equal(mapped.has('10.9.9.9'), true);
    assert.equal(mapped.has('11.0.0.0'), false);
    assert.equal(mapped.has('192.0.2.1'), true);
    assert.equal(mapped.has('::ffff:192.0.2.1'), true);
  });

  it('takes /0 as everything of that family', () => {
    const all4 = compileCidrSet(['0.0.0.0/0']);
    assert.equal(all4.has('203.0.113.1'), true);
    assert.equal(all4.has('::ffff:203.0.113.1'), true);
    assert.equal(all4.has('2001:db8::1'), false);
    const all6 = compileCidrSet(['::/0']);
    assert.equal(all6.has('2001:db8::1'), true);
  });

  const BAD: readonly string[] = [
    '',
    'x',
    'localhost',
    '10.0.0.0/33',
    '10.0.0.0/',
    '10.0.0.0/8/8',
    '10.0.0.0/-1',
    '10.0.0.0/+8',
    '10.0.0.0/08',
    '10.0.0.0/1e1',
    '10.0.0.0/ 8',
    '::/129',
    '10.0.0.1/8',
    '192.168.1.1/24',
    '2001:db8::1/32',
    'fe80::1%eth0',
    'fe80::%eth0/64',
    ' 10.0.0.0/8',
    '10.0.0.0/8 ',
    '010.0.0.0/8',
    '1.2.3/24',
    '[::1]',
    '10.0.0.0-10.0.0.9',
  ];
  for (const entry of BAD) {
    it(`refuses ${JSON.stringify(entry)} with BAD_CIDR naming it`, () => {
      assert.throws(
        () => compileCidrSet(['10.0.0.0/8', entry]),
        (error: unknown) => error instanceof ApiwardenError && error.code === 'BAD_CIDR' && error.message.includes(JSON.stringify(entry)),
      );
    });
  }

  it('says which network was meant when host bits are set', () => {
    assert.throws(() => compileCidrSet(['192.168.1.1/24']), /the network is 192\.168\.1\.0\/24/);
    assert.throws(() => compileCidrSet(['2001:db8::1/32']), /the network is 2001:db8::\/32/);
  });
});

describe('normaliseIp', () => {
  const CASES: ReadonlyArray<readonly [string, string]> = [
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['::FFFF:203.0.113.7', '203.0.113.7'],
    ['::ffff:cb00:7107', '203.0.113.7'],
    ['0:0:0:0:0:ffff:cb00:7107', '203.0.113.7'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:0db8::0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['::1', '::1'],
    ['1::', '1::'],
    ['fe80::1%eth0', 'fe80::1'],
    ['FE80::A%25x', 'fe80::a'],
    ['::1.2.3.4', '::102:304'],
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
    ['garbage', 'garbage'],
    ['', ''],
    ['010.0.0.1', '010.0.0.1'],
  ];
  for (const [ip, expected] of CASES) {
    it(`${JSON.stringify(ip)} → ${JSON.stringify(expected)}`, () => assert.equal(normaliseIp(ip), expected));
  }

  it('agrees with the WHATWG URL serialiser (RFC 5952) and is idempotent', () => {
    fc.assert(
      fc.property(fc.ipV6(), (ip) => {
        const n = normaliseIp(ip);
        assert.equal(normaliseIp(n), n);
        if (n.includes(':')) assert.equal(n, new URL(`http://[${ip}]/`).hostname.slice(1, -1));
        else assert.ok(new URL(`http://[${ip}]/`).hostname.startsWith('[::ffff:'), ip);
      }),
      { numRuns: 2000 },
    );
  });

  it('leaves IPv4 text unchanged', () => {
    fc.assert(fc.property(fc.ipV4(), (ip) => normaliseIp(ip) === ip), { numRuns: 1000 });
  });
});

describe('isValidIp', () => {
  const CASES: ReadonlyArray<readonly [string, boolean]> = [
    ['203.0.113.7', true],
    ['2001:db8::1', true],
    ['::ffff:1.2.3.4', true],
    ['fe80::1%eth0', true],
    ['', false],
    ['1.2.3', false],
    ['010.0.0.1', false],
    ['256.0.0.1', false],
    ['1.2.3.4:80', false],
    ['[::1]', false],
    [' 1.2.3.4', false],
    ['unknown', false],
  ];
  for (const [ip, expected] of CASES) {
    it(`${JSON.stringify(ip)} is ${expected ? '' : 'not '}an address`, () => assert.equal(isValidIp(ip), expected));
  }
});

describe('subnetOf', () => {
  const CASES: ReadonlyArray<readonly [string, number | undefined, number | undefined, string]> = [
    ['203.0.113.7', undefined, undefined, '203.0.113.0/24'],
    ['203.0.113.7', 16, undefined, '203.0.0.0/16'],
    ['203.0.113.7', 32, undefined, '203.0.113.7/32'],
    ['203.0.113.7', 0, undefined, '0.0.0.0/0'],
    ['255.255.255.255', 25, undefined, '255.255.255.128/25'],
    ['::ffff:203.0.113.7', undefined, undefined, '203.0.113.0/24'],
    ['2001:db8:1:2:3:4:5:6', undefined, undefined, '2001:db8:1:2::/64'],
    ['2001:DB8:1:2:3:4:5:6', 24, 48, '2001:db8:1::/48'],
    ['2001:db8:1:2ff:3:4:5:6', 24, 56, '2001:db8:1:200::/56'],
    ['2001:db8:1:2:3:4:5:6', 24, 128, '2001:db8:1:2:3:4:5:6/128'],
    ['2001:db8:1:2:3:4:5:6', 24, 0, '::/0'],
    ['fe80::1%eth0', undefined, undefined, 'fe80::/64'],
    ['not-an-ip', undefined, undefined, 'not-an-ip'],
  ];
  for (const [ip, v4, v6, expected] of CASES) {
    it(`subnetOf(${ip}, ${v4}, ${v6}) = ${expected}`, () => assert.equal(subnetOf(ip, v4, v6), expected));
  }

  it('refuses prefixes out of range', () => {
    assert.throws(() => subnetOf('1.2.3.4', 33), RangeError);
    assert.throws(() => subnetOf('1.2.3.4', -1), RangeError);
    assert.throws(() => subnetOf('1.2.3.4', 24, 129), RangeError);
    assert.throws(() => subnetOf('1.2.3.4', 1.5), RangeError);
  });

  it('names a network that contains the address', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), fc.integer({ min: 0, max: 32 }), fc.integer({ min: 0, max: 128 }), (ip, v4, v6) => {
        const subnet = subnetOf(ip, v4, v6);
        assert.equal(compileCidrSet([subnet]).has(ip), true, `${ip} in ${subnet}`);
      }),
      { numRuns: 1000 },
    );
  });
});
