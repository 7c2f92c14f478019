import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { DataClass } from './data-classes.ts';
import {
  mergeFindings, scanBody, scanForm, scanJson, scanJsonText, scanPath, scanQuery, scanText, type SensitiveFindings,
} from './sensitive-scan.ts';

function summary(findings: SensitiveFindings): Record<string, { count: number; paths: string[] }> {
  const out: Record<string, { count: number; paths: string[] }> = {};
  for (const [cls, f] of [...findings].sort(([a], [b]) => a.localeCompare(b))) out[cls] = { count: f.count, paths: f.paths };
  return out;
}

// The reference incident (DESIGN.md): an account-status lookup answering with
// account and device details for a phone number.
const ACCOUNT_STATUS = {
  data: [
    { accountId: 'acc_8f2k3', phone: '+14155552671', email: 'jane@example.com', devices: 2, lastIp: '203.0.113.7' },
    { accountId: 'acc_9x1m2', phone: '+447911123456', email: 'joe@example.org', devices: 1, lastIp: '2001:db8::7' },
  ],
  meta: { page: 1, total: 2, requestId: '550e8400-e29b-41d4-a716-446655440000', generatedAt: '2024-06-01T12:00:00Z' },
};

describe('scanJson', () => {
  it('counts each class with its paths and masked examples', () => {
    const findings = scanJson(ACCOUNT_STATUS);
    assert.deepEqual(summary(findings), {
      email: { count: 2, paths: ['data[].email'] },
      ip: { count: 2, paths: ['data[].lastIp'] },
      phone: { count: 2, paths: ['data[].phone'] },
    });
    assert.deepEqual(findings.get('phone')!.examples, ['+1415•••2671', '+4479•••3456']);
    assert.deepEqual(findings.get('email')!.examples, ['j•••@example.com', 'j•••@example.org']);
  });

  it('uses field names, numbers under names, maps and the body itself', () => {
    const findings = scanJson({
      user: { dob: '1990-04-23', msisdn: 14155552671, password: 'hunter2', api_key: 'a8Fk3nQ9zX2pL7vB1mR4' },
      cards: { '1001': { number: '4111 1111 1111 1111' }, '1002': { number: '5555555555554444' } },
      'weird.key': 'AB123456C',
      emails: ['a@example.com', 'b@example.com'],
      created: '1990-04-23',
    });
    assert.deepEqual(summary(findings), {
      'birth-date': { count: 1, paths: ['user.dob'] },
      card: { count: 2, paths: ['cards{*}.number'] },
      email: { count: 2, paths: ['emails[]'] },
      'national-id': { count: 1, paths: ['["weird.key"]'] },
      phone: { count: 1, paths: ['user.msisdn'] },
      secret: { count: 2, paths: ['user.password', 'user.api_key'] },
    });
    assert.deepEqual(summary(scanJson('jane@example.com')), { email: { count: 1, paths: ['(body)'] } });
    assert.equal(scanJson(null).size, 0);
  });

  it('keeps paths and examples within their caps, and stops at maxNodes', () => {
    const many = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`email${String.fromCharCode(97 + (i % 26))}${i >= 26 ? 'x' : ''}`, `${String.fromCharCode(97 + (i % 26))}${i}@example.com`]));
    const findings = scanJson(many, { maxPaths: 5, maxExamples: 2 });
    assert.equal(findings.get('email')!.count, 50);
    assert.equal(findings.get('email')!.paths.length, 5);
    assert.equal(findings.get('email')!.examples.length, 2);
    const list = Array.from({ length: 10_000 }, () => '+14155552671');
    assert.equal(scanJson(list, { maxNodes: 100 }).get('phone')!.count, 99); // the array itself is a node
  });

  it('never reports an unmasked value', () => {
    fc.assert(fc.property(fc.constantFrom('+14155552671', 'jane.doe@example.com', '4111111111111111', 'DE89370400440532013000',
      '078-05-1120', 'sk_live_4eC39HqLyjWDarjtT1zdp7dc', '203.0.113.7'), (value) => {
      const findings = scanJson({ a: [{ b: value }] });
      const [finding] = [...findings.values()];
      assert.ok(finding);
      for (const example of finding.examples) assert.ok(!example.includes(value) && example.includes('•'));
    }));
  });
});

describe('scanText and scanBody', () => {
  it('parses complete JSON, and walks truncated JSON for what it can', () => {
    const text = JSON.stringify(ACCOUNT_STATUS);
    assert.deepEqual(summary(scanText(text, 'application/json; charset=utf-8')), summary(scanJson(ACCOUNT_STATUS)));
    const cut = text.slice(0, text.indexOf('joe@') + 2);
    const partial = summary(scanBody({ contentType: 'application/json', text: cut, truncated: true }));
    assert.deepEqual(partial, {
      email: { count: 1, paths: ['data[].email'] },
      ip: { count: 1, paths: ['data[].lastIp'] },
      phone: { count: 2, paths: ['data[].phone'] },
    });
    // also when the source did not say it was cut
    assert.deepEqual(summary(scanText(cut, 'application/json')), partial);
  });

  it('reads +json types, sniffs untyped JSON, and leaves other types alone', () => {
    assert.equal(scanText('{"email":"a@example.com"}', 'application/vnd.api+json').get('email')?.count, 1);
    assert.equal(scanText('  [{"email":"a@example.com"}]', null).get('email')?.count, 1);
    assert.equal(scanText('<p>a@example.com</p>', 'text/html').size, 0);
    assert.equal(scanText('a@example.com', null).size, 0);
  });

  it('reads form bodies, skipping a pair the sample cut', () => {
    const body = 'email=jane%40example.com&phone=%2B14155552671&password=hunter2&ssn=078-05-1120&note=hello+world&card=4111111111';
    assert.deepEqual(summary(scanText(body, 'application/x-www-form-urlencoded')), {
      email: { count: 1, paths: ['email'] },
      'national-id': { count: 1, paths: ['ssn'] },
      phone: { count: 1, paths: ['phone'] },
      secret: { count: 1, paths: ['password'] },
    });
    const cut = scanBody({ contentType: 'application/x-www-form-urlencoded', text: 'a=1&email=jane%40example.co', truncated: true });
    assert.equal(cut.size, 0);
  });
});

describe('scanQuery and scanPath', () => {
  it('query values with their names; a plus left unencoded stays a plus', () => {
    assert.deepEqual(summary(scanQuery('phone=+14155552671&email=a%40example.com&page=2&token=a8Fk3nQ9zX2pL7vB1mR4&q=%25%')), {
      email: { count: 1, paths: ['email'] },
      phone: { count: 1, paths: ['phone'] },
      secret: { count: 1, paths: ['token'] },
    });
    assert.deepEqual(summary(scanQuery('msisdn=14155552671')), { phone: { count: 1, paths: ['msisdn'] } });
    assert.deepEqual(summary(scanQuery('q=+44+20+7946+0958')), { phone: { count: 1, paths: ['q'] } });
    assert.equal(scanQuery('').size, 0);
  });

  it('path segments, decoded, with the segment before as their name', () => {
    assert.deepEqual(summary(scanPath('/v1/accounts/status/%2B14155552671')), { phone: { count: 1, paths: ['[3]'] } });
    assert.deepEqual(summary(scanPath('/v1/phone/14155552671/devices')), { phone: { count: 1, paths: ['[2]'] } });
    assert.deepEqual(summary(scanPath('/users/jane@example.com/cards/4111111111111111')), {
      card: { count: 1, paths: ['[3]'] },
      email: { count: 1, paths: ['[1]'] },
    });
    assert.equal(scanPath('/v1/orders/1234567890/items/%E0%A4%A').size, 0);
  });
});

describe('mergeFindings', () => {
  it('adds counts and keeps the caps', () => {
    const a = scanJson({ email: 'a@example.com', phone: '+14155552671' });
    const b = scanJson({ contact: { email: 'b@example.com' } });
    const merged = mergeFindings(a, b, { maxPaths: 1 });
    assert.deepEqual(summary(merged), { email: { count: 2, paths: ['email'] }, phone: { count: 1, paths: ['phone'] } });
    const classes: DataClass[] = [...merged.keys()];
    assert.deepEqual(classes.sort(), ['email', 'phone']);
  });

  it('equals scanning the JSON text walk on complete documents', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
      const text = JSON.stringify(value);
      assert.deepEqual(summary(scanJsonText(text, { isTruncated: false })), summary(scanJson(value)));
    }), { numRuns: 200 });
  });
});

describe('scanForm', () => {
  it('bounds the number of pairs read', () => {
    const body = Array.from({ length: 100 }, () => 'email=a%40example.com').join('&');
    assert.equal(scanForm(body, { maxNodes: 10 }).get('email')!.count, 10);
  });
});
