import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { cardBrand, isCardNumber, isIban, isNino, isSpanishId, isSsn, luhnValid } from './sensitive-checksums.ts';
import { IBAN_EXAMPLES, cardArb, luhnCheckDigit, withDigitChanged } from './sensitive-vectors.cases.ts';

describe('luhnValid (ISO/IEC 7812-1 annex B)', () => {
  it('accepts the networks\' published test numbers', () => {
    for (const n of ['4111111111111111', '4012888888881881', '4222222222222', '5555555555554444', '5105105105105100',
      '2223003122003222', '378282246310005', '371449635398431', '6011111111111117', '3530111333300000',
      '30569309025904', '6200000000000005', '79927398713']) {
      assert.equal(luhnValid(n), true, n);
    }
  });

  it('rejects every single-digit change of a valid number', () => {
    fc.assert(fc.property(cardArb, fc.nat(), fc.integer({ min: 1, max: 9 }), (card, at, delta) => {
      assert.equal(luhnValid(card.digits), true);
      assert.equal(luhnValid(withDigitChanged(card.digits, at, delta)), false);
    }), { numRuns: 300 });
  });

  it('rejects what is not digits', () => {
    for (const s of ['', '4111 1111 1111 1111', '4111-1111', 'abc', '٤١١١']) assert.equal(luhnValid(s), false, s);
  });

  it('computes the check digit the tests generate with', () => {
    assert.equal(luhnCheckDigit('7992739871'), '3');
    assert.equal(luhnCheckDigit('411111111111111'), '1');
  });
});

describe('cardBrand and isCardNumber', () => {
  it('names the network by prefix and length', () => {
    const cases: Array<[string, string | null]> = [
      ['4111111111111111', 'visa'], ['4222222222222', 'visa'], ['5555555555554444', 'mastercard'],
      ['2223003122003222', 'mastercard'], ['378282246310005', 'amex'], ['6011111111111117', 'discover'],
      ['3530111333300000', 'jcb'], ['30569309025904', 'diners'], ['6200000000000005', 'unionpay'],
      ['6759649826438453', 'maestro'], ['2200000000000004', 'mir'],
      ['1234567890123452', null], ['9999999999999995', null], ['37828224631000', null], ['411111111111', null],
    ];
    for (const [digits, brand] of cases) assert.equal(cardBrand(digits), brand, digits);
  });

  it('needs a known prefix, a network length and the Luhn check', () => {
    fc.assert(fc.property(cardArb, (card) => {
      assert.equal(isCardNumber(card.digits), true, card.digits);
      assert.equal(cardBrand(card.digits), card.brand);
    }), { numRuns: 300 });
    // Luhn-valid, but no network issues these
    for (const n of ['0000000000000000', '1000000000000009', '8888888888888888', '79927398713']) assert.equal(isCardNumber(n), false, n);
  });
});

describe('isIban (ISO 13616, MOD 97-10)', () => {
  it('accepts the registry examples of every country in the table', () => {
    for (const iban of IBAN_EXAMPLES) assert.equal(isIban(iban.replaceAll(' ', '')), true, iban);
  });

  it('rejects a changed digit, a swapped pair, a wrong length and an unknown country', () => {
    for (const iban of IBAN_EXAMPLES) {
      const compact = iban.replaceAll(' ', '');
      const at = compact.length - 2;
      const changed = compact.slice(0, at) + String((Number(compact[at]) + 1) % 10) + compact.slice(at + 1);
      if (/\d/.test(compact[at]!)) assert.equal(isIban(changed), false, changed);
      assert.equal(isIban(compact + '0'), false);
      assert.equal(isIban(compact.slice(0, -1)), false);
    }
    assert.equal(isIban('DE89370400440532013001'), false);
    assert.equal(isIban('DE98370400440532013000'), false); // check digits swapped
    assert.equal(isIban('XX89370400440532013000'), false);
    assert.equal(isIban('US89370400440532013000'), false);
    assert.equal(isIban('de89370400440532013000'), false); // the electronic format is upper case
    assert.equal(isIban('DE8937040044053201300!'), false);
    assert.equal(isIban(''), false);
  });
});

describe('isSsn', () => {
  it('accepts issued-looking numbers, including the voided Woolworth number', () => {
    for (const s of ['078051120', '123456789', '219099999', '001010001', '665999999', '899999999']) assert.equal(isSsn(s), true, s);
  });

  it('rejects area 000, 666 and 9xx, group 00, serial 0000', () => {
    for (const s of ['000123456', '666123456', '900123456', '987654320', '999999999', '123006789', '123450000', '12345678', '1234567890', '12345678a']) {
      assert.equal(isSsn(s), false, s);
    }
  });
});

describe('isNino (HMRC NIM39110)', () => {
  it('accepts allocated prefixes with a suffix A–D', () => {
    for (const s of ['AB123456C', 'JG103759A', 'CE123456D', 'ZA000000B', 'OA123456A']) assert.equal(isNino(s), true, s);
  });

  it('rejects unallocated prefixes, letters in wrong places and bad suffixes', () => {
    for (const s of ['DA123456A', 'FA123456A', 'IA123456A', 'QA123456A', 'UA123456A', 'VA123456A', 'AO123456A',
      'BG123456A', 'GB123456A', 'NK123456A', 'KN123456A', 'TN123456A', 'NT123456A', 'ZZ123456A',
      'AB123456E', 'AB12345CC', 'ab123456c', 'AB1234567', 'AB123456']) {
      assert.equal(isNino(s), false, s);
    }
  });
});

describe('isSpanishId (DNI and NIE letters)', () => {
  it('accepts the right control letter', () => {
    for (const s of ['12345678Z', '00000000T', '99999999R', 'X1234567L', 'Y1234567X', 'Z1234567R']) assert.equal(isSpanishId(s), true, s);
  });

  it('rejects any other letter', () => {
    for (const s of ['12345678A', '00000000R', 'X1234567A', 'W1234567L', '1234567Z', '12345678', '1234567XZ']) assert.equal(isSpanishId(s), false, s);
    fc.assert(fc.property(fc.integer({ min: 0, max: 99_999_999 }), fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'), (n, letter) => {
      const body = String(n).padStart(8, '0');
      const right = 'TRWAGMYFPDXBNJZSQVHLCKE'[n % 23];
      assert.equal(isSpanishId(body + letter), letter === right);
    }), { numRuns: 300 });
  });
});
