import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { maskValue } from './sensitive-mask.ts';
import { classifyValue } from './sensitive-values.ts';
import { cardArb, printCard } from './sensitive-vectors.cases.ts';

describe('maskValue', () => {
  it('keeps what identifies the kind of value, and no more', () => {
    const cases: Array<[Parameters<typeof maskValue>[0], string, string]> = [
      ['phone', '+14155552671', '+1415•••2671'],
      ['phone', '+44 20 7946 0958', '+4420•••0958'],
      ['phone', '(415) 555-2671', '415•••2671'],
      ['phone', '1234567', '12•••67'],
      ['email', 'john.doe@example.com', 'j•••@example.com'],
      ['card', '4111111111111111', '4111 •••• •••• 1111'],
      ['card', '4111-1111-1111-1111', '4111 •••• •••• 1111'],
      ['card', '378282246310005', '3782 •••• ••• 0005'],
      ['card', '4222222222222', '4222 •••• • 2222'],
      ['iban', 'DE89 3704 0044 0532 0130 00', 'DE89 •••• •••• •••• •• 3000'],
      ['national-id', '078-05-1120', '•••-••-1120'],
      ['national-id', '123456789', '•••••6789'],
      ['national-id', 'AB 12 34 56 C', '•• •• •• •6 C'],
      ['national-id', '12345678Z', '•••••••8Z'],
      ['ip', '203.0.113.195', '203.0.113.•••'],
      ['ip', '2001:db8:85a3::8a2e:370:7334', '2001:db8:85a3:•••'],
      ['ip', '2001:db8::1', '2001:db8:•••'],
      ['secret', 'sk_live_4eC39HqLyjWDarjtT1zdp7dc', 'sk_live_•••'],
      ['secret', 'AKIAIOSFODNN7EXAMPLE', 'AKIA•••'],
      ['secret', '-----BEGIN RSA PRIVATE KEY-----\nMIIE', '-----BEGIN RSA PRIVATE KEY-----•••'],
      ['secret', 'hunter2', '••••••••'],
      ['secret', 'a8Fk3nQ9zX2pL7vB1mR4a8Fk3nQ9zX2pL7vB1mR4', '••••••••'],
      ['jwt', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln', 'eyJhbGciOi•••'],
      ['birth-date', '1990-04-23', '1990-••-••'],
      ['birth-date', '23/04/1990', '1990-••-••'],
      ['birth-date', '19900423', '1990-••-••'],
    ];
    for (const [cls, value, masked] of cases) assert.equal(maskValue(cls, value), masked, `${cls} ${value}`);
  });

  it('hides the middle of every card number: at most the first and last four digits remain (PCI DSS 3.4)', () => {
    fc.assert(fc.property(cardArb, fc.constantFrom('' as const, ' ' as const, '-' as const), (card, separator) => {
      const masked = maskValue('card', printCard(card.digits, separator));
      const digits = masked.replace(/\D/g, '');
      assert.equal(digits, card.digits.slice(0, 4) + card.digits.slice(-4));
      assert.ok(!masked.includes(card.digits.slice(4, -4)));
    }), { numRuns: 200 });
  });

  it('hides at least three digits of any phone number it is given', () => {
    fc.assert(fc.property(fc.stringMatching(/^\+[1-9]\d{7,14}$/), (phone) => {
      assert.equal(classifyValue(phone), 'phone');
      const masked = maskValue('phone', phone);
      const kept = masked.replace(/\D/g, '').length;
      assert.ok(phone.length - 1 - kept >= 3, `${phone} → ${masked}`);
      assert.ok(!masked.includes(phone.slice(1)));
    }), { numRuns: 300 });
  });

  it('never returns a secret, whatever its length', () => {
    fc.assert(fc.property(fc.string({ minLength: 1, maxLength: 200 }), (value) => {
      const masked = maskValue('secret', value);
      assert.ok(masked === '••••••••' || masked.endsWith('•••'));
      if (value.length >= 8) assert.ok(!masked.includes(value));
    }), { numRuns: 300 });
  });
});
