import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DATA_CLASSES, type DataClass } from './data-classes.ts';
import { classifyNumber, classifyValue, MAX_VALUE_LENGTH } from './sensitive-values.ts';
import { IBAN_EXAMPLES, cardArb, printCard, withDigitChanged } from './sensitive-vectors.cases.ts';

type Case = string | [value: string, fieldName: string];

function check(expected: DataClass | null, cases: readonly Case[]): void {
  for (const c of cases) {
    const [value, name] = typeof c === 'string' ? [c, undefined] : c;
    assert.equal(classifyValue(value, name), expected, `${JSON.stringify(value)}${name ? ` under "${name}"` : ''}`);
  }
}

/** Strings that look like numbers and are not personal data: what an API carries most. */
const ORDINARY_NUMBERS = [
  '1234567890', '9876543210', '1700000000', '1700000000123', '20240115', '0', '42', '-1', '3.14', '19.99', '1,299.00',
  '1 234 567', '12 345 678', '1.2.3', '10.0.19041.1', '0.10.12', '2024-01-15', '15.01.2024', '01/15/2024', '2024-01-15T10:00:00Z',
  '978-3-16-148410-0', '0-306-40615-2', '123-4567890-1234567', '2023-000123', '12:30:45', '-122.4194', '37.7749,-122.4194',
  '100-200', '1e10', '+1', '+100', '+1234567', '555-0100', '1234 5678 9012 3456', '0000 0000 0000 0000', '00.123456789',
];

const UUIDS = ['550e8400-e29b-41d4-a716-446655440000', '00000000-0000-0000-0000-000000000000', '123e4567-e89b-12d3-a456-426614174000'];

describe('classifyValue: phone', () => {
  it('E.164 and international formats', () => {
    check('phone', ['+14155552671', '+447911123456', '+33612345678', '+4930123456', '+44 20 7946 0958', '+1 (415) 555-2671',
      '+1-415-555-2671', '+1.415.555.2671', '+33 6 12 34 56 78', '+49 (0)30 1234567', '+81 3-1234-5678', '+86 138 0013 8000',
      '+61 2 9374 4000', '+91 98765 43210', '+353 1 234 5678', '+683 4002']);
  });

  it('North American and trunk-prefixed national formats', () => {
    check('phone', ['(415) 555-2671', '(415)555-2671', '415-555-2671', '415.555.2671', '415 555 2671', '1-800-555-0199',
      '1 (800) 555-0199', '020 7946 0958', '07911 123456', '06 12 34 56 78', '06.12.34.56.78', '030 1234567', '030-12345678',
      '0171 1234567', '020-1234567', '0044 20 7946 0958']);
  });

  it('bare digits only under a phone name', () => {
    check('phone', [['14155552671', 'msisdn'], ['4155552671', 'phone'], ['07911123456', 'mobile'], ['1234567', 'phone_number'],
      ['+1 415 555 2671', 'phones'], ['4155552671', 'tel']]);
    check(null, [['123', 'phone'], ['1234567890123456', 'phone'], ['call me', 'phone'], ['415-555-2671 ext. 12', 'phone']]);
  });

  it('ids, timestamps, prices, versions, dates, UUIDs and ISBNs are not phones', () => {
    check(null, ORDINARY_NUMBERS);
    check(null, UUIDS);
    check(null, [['1234567890', 'orderId'], ['1700000000', 'createdAt'], ['4155552671', 'amount'], '(415) 055-2671',
      '(115) 555-2671', '+0 415 555 2671', '+1234567890123456', '+1 (415) 555 2671)', '+1 ((415)) 555', '415--555-2671',
      ' 415-555-2671', '415-555-2671 ', '+44 20 7946 0958 x', '06 12 34 56 7', '0 6 1 2 3 4 5 6 7 8']);
  });

  it('never classifies an integer of up to 12 digits without a name', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (n) => {
      const s = String(n);
      if (s.length <= 12) assert.equal(classifyValue(s), null, s);
    }), { numRuns: 500 });
    fc.assert(fc.property(fc.integer({ min: 1_000_000_000, max: 1_999_999_999 }), fc.integer({ min: 0, max: 999 }), (seconds, ms) => {
      assert.equal(classifyValue(String(seconds)), null); // unix time in seconds
      assert.equal(classifyValue(`${seconds}${String(ms).padStart(3, '0')}`), null); // and in milliseconds
    }), { numRuns: 300 });
    fc.assert(fc.property(fc.double({ min: 0, max: 1e9, noNaN: true }), (price) => {
      assert.equal(classifyValue(price.toFixed(2)), null);
    }), { numRuns: 300 });
  });
});

describe('classifyValue: email', () => {
  it('addresses', () => {
    check('email', ['john.doe@example.com', 'j@example.co', 'user+tag@sub.example.org', "o'brien@example.ie",
      'first_last-1@example-mail.com', 'USER@EXAMPLE.COM', 'x@xn--80ak6aa92e.com', 'a.b.c@d.e.fr', 'rené@exemple.fr',
      'user@example.xn--p1ai', '12345@example.com']);
  });

  it('look-alikes and malformed addresses', () => {
    check(null, ['user@localhost', 'user@example', 'user@[192.0.2.1]', '@example.com', 'user@', 'user@@example.com',
      'a@b@example.com', '.user@example.com', 'user.@example.com', 'us..er@example.com', 'user@-example.com',
      'user@example-.com', 'user@example..com', 'user@.example.com', 'user@example.com.', 'user@example.c', 'user@example.123',
      'icon@2x.png', 'logo@3x.webp', 'lodash@4.17.21', '@scope/package', 'git@github.com:owner/repo.git',
      'user name@example.com', 'user@exa mple.com', '"quoted"@example.com', 'mailto:user@example.com',
      `${'a'.repeat(65)}@example.com`, `a@${'b'.repeat(64)}.com`, `a@${'b.'.repeat(130)}com`, 'hello world', 'user at example dot com']);
  });
});

describe('classifyValue: card', () => {
  it('Luhn-valid numbers of known networks, compact or grouped', () => {
    check('card', ['4111111111111111', '4111 1111 1111 1111', '4111-1111-1111-1111', '5555555555554444', '5555 5555 5555 4444',
      '378282246310005', '3782 822463 10005', '6011111111111117', '3530111333300000', '4222222222222', '2223003122003222']);
    fc.assert(fc.property(cardArb, fc.constantFrom('' as const, ' ' as const, '-' as const), (card, separator) => {
      assert.equal(classifyValue(printCard(card.digits, separator)), 'card', card.digits);
    }), { numRuns: 300 });
  });

  it('a Luhn-invalid number is not a card', () => {
    check(null, ['4111111111111112', '4111 1111 1111 1112', '5555555555554445', '378282246310006', '1234567812345678']);
    fc.assert(fc.property(cardArb, fc.nat(), fc.integer({ min: 1, max: 9 }), (card, at, delta) => {
      const changed = withDigitChanged(card.digits, at, delta);
      assert.notEqual(classifyValue(changed), 'card', changed);
      assert.notEqual(classifyValue(printCard(changed, ' ')), 'card', changed);
    }), { numRuns: 300 });
  });

  it('unknown prefixes, wrong lengths, mixed text, and compact ids under an id name', () => {
    check(null, ['0000000000000000', '1000000000000009', '8888888888888888', '41111111111', '4111111111111111111111',
      '4111 1111 1111 1111 x', '4111_1111_1111_1111', '4111.1111.1111.1111', ['4111111111111111', 'orderId'],
      ['4111111111111111', 'transaction_ref']]);
    // grouped, the same digits are a card wherever they are
    check('card', [['4111 1111 1111 1111', 'orderId'], ['4111111111111111', 'notes']]);
  });
});

describe('classifyValue: iban', () => {
  it('registry examples, compact and in print format', () => {
    for (const iban of IBAN_EXAMPLES) {
      check('iban', [iban, iban.replaceAll(' ', '')]);
    }
    check('iban', ['DE89370400440532013000', 'GB82WEST12345698765432', 'FR1420041010050500013M02606', 'NL91ABNA0417164300']);
  });

  it('wrong check digits, lengths, countries and case', () => {
    check(null, ['DE89370400440532013001', 'DE88370400440532013000', 'GB82WEST12345698765433', 'FR1420041010050500013M02607',
      'NL91ABNA0417164301', 'NL91ABNA041716430', 'DE8937040044053201300', 'XX89370400440532013000', 'de89370400440532013000',
      'DE89 3704 0044 0532 0130 01', 'GB82-WEST-1234-5698-7654-3X', 'ABCD1234EFGH5678IJKL']);
  });
});

describe('classifyValue: national-id', () => {
  it('US SSNs in print form, UK NINOs, Spanish DNI and NIE', () => {
    check('national-id', ['078-05-1120', '123-45-6789', '219-09-9999', '001 01 0001', 'AB123456C', 'AB 12 34 56 C', 'JG103759A',
      '12345678Z', '12345678-Z', 'X1234567L', 'Z1234567R']);
  });

  it('SSNs that are never issued, and look-alikes', () => {
    check(null, ['000-12-3456', '666-12-3456', '900-12-3456', '987-65-4321', '123-00-4567', '123-45-0000', '123-45-678',
      '123-456-789', '123456789', 'DA123456A', 'BG123456A', 'AB123456E', '12345678A', 'X1234567A', 'ab123456c']);
  });

  it('under a national-id name: unseparated SSNs and passport or licence numbers; masked values are not', () => {
    check('national-id', [['123456789', 'ssn'], ['C01X00T47', 'passport_number'], ['D1234-56789-01234', 'drivers_license'],
      ['AB1234567', 'national_id']]);
    check(null, [['000123456', 'ssn'], ['XXX-XX-1234', 'ssn'], ['***-**-1234', 'ssn'], ['000-12-3456', 'ssn'], ['ABCDEF', 'passport'],
      ['123456789', 'order_number']]);
  });
});

const JWT_HS256 = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

describe('classifyValue: jwt', () => {
  it('JWS (RFC 7515 §7.1), unsecured JWT (RFC 7519 §6.1) and JWE (RFC 7516 §7.1) compact forms', () => {
    check('jwt', [
      JWT_HS256,
      `${b64url({ alg: 'none' })}.${b64url({ sub: 'x' })}.`,
      `${b64url({ alg: 'RS256', kid: 'k1' })}.${b64url({ iss: 'https://issuer.example' })}.c2lnbmF0dXJl`,
      `${b64url({ alg: 'RSA-OAEP', enc: 'A256GCM' })}.a2V5.aXY.Y2lwaGVydGV4dA.dGFn`,
      `${b64url({ alg: 'dir', enc: 'A128GCM' })}..aXY.Y2lwaGVydGV4dA.dGFn`,
    ]);
  });

  it('dotted strings that are not JWTs', () => {
    check(null, ['a.b.c', 'www.example.com', 'eyJ.eyJ.x', `${b64url({ typ: 'JWT' })}.${b64url({})}.sig`,
      `${b64url(['alg'])}.${b64url({})}.sig`, `${b64url({ alg: 1 })}.${b64url({})}.sig`, `${b64url({ alg: 'HS256' })}..sig`,
      `${b64url({ alg: 'HS256' })}.${b64url({})}`, `${b64url({ alg: 'HS256' })}.${b64url({})}.sig.x`,
      `${b64url({ alg: 'HS256' })}.${b64url({})}.si+g`, 'eyJhbGciOiJIUzI1NiJ9', 'file.tar.gz', '1.2.3']);
  });
});

describe('classifyValue: secret', () => {
  it('prefixed API keys and PEM private keys, whatever the field', () => {
    check('secret', ['sk_live_4eC39HqLyjWDarjtT1zdp7dc', 'sk_test_4eC39HqLyjWDarjtT1zdp7dc', 'rk_live_51H8abcdefGHIJKLmnop',
      'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'ghp_16C7e42F292c6912E7710c838347Ae178B4a', 'gho_16C7e42F292c6912E7710c838347Ae178B4a',
      `github_pat_11ABCDEFG0abcdefghijkl_${'a1B2c3D4e5'.repeat(6)}`, 'glpat-xxxxXXXX1234yyyyZZZZ',
      'npm_abcdefghijABCDEFGHIJ0123456789abcdef', 'xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx',
      'xoxp-1234-5678-abcdef', 'AKIAIOSFODNN7EXAMPLE', 'ASIAY34FZKBOKMUTVV7A', 'AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI',
      '-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA...\n-----END RSA PRIVATE KEY-----',
      '-----BEGIN PRIVATE KEY-----\nMIIE...', '-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blb...', '-----BEGIN EC PRIVATE KEY-----',
      `-----BEGIN ENCRYPTED PRIVATE KEY-----\n${'A'.repeat(MAX_VALUE_LENGTH + 10)}`]);
  });

  it('random strings under a key, token or secret name, and anything under a password name', () => {
    check('secret', [['a8Fk3nQ9zX2pL7vB1mR4', 'api_key'], ['9f86d081884c7d659a2feaa0c55ad015', 'client_secret'],
      ['Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5', 'accessToken'], ['550e8400-e29b-41d4-a716-446655440000', 'apiKey'],
      ['Bearer a8Fk3nQ9zX2pL7vB1mR4', 'Authorization'], ['hunter2', 'password'], ['correct horse battery staple', 'passphrase'],
      ['$2b$12$KIXQJQ0b1q0d4l9u9G8W6eU4w1Zp3Q5m7u8v9x0y1z2a3b4c5d6e7', 'password_hash'], ['s3cr3t!', 'new_password']]);
  });

  it('ordinary words, placeholders, public keys and cursors are not secrets', () => {
    check(null, ['password', 'secret', 'token', 'hello world', 'sk_live_', 'sk_live_short', 'sk_live_********************',
      'pk_live_4eC39HqLyjWDarjtT1zdp7dc', 'ghp_short', 'AKIA1234', 'akiaiosfodnn7example', 'xoxz-123456789012-abc',
      '-----BEGIN PUBLIC KEY-----\nMIIB...', '-----BEGIN CERTIFICATE-----\nMIIC...', 'a8Fk3nQ9zX2pL7vB1mR4',
      ['your-api-key-here', 'api_key'], ['changeme', 'token'], ['aaaaaaaaaaaaaaaaaaaa', 'secret'], ['abcdefghijklmnopqrstu', 'api_key'],
      ['********', 'password'], ['<redacted>', 'password'], ['[FILTERED]', 'password'], ['a8Fk3nQ9zX2pL7vB1mR4', 'next_page_token'],
      ['a8Fk3nQ9zX2pL7vB1mR4', 'idempotency_key'], ['MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE', 'public_key'],
      ['a8Fk3nQ9zX2pL7vB1mR4', 'description'], ['Bearer <redacted>', 'authorization']]);
  });
});

describe('classifyValue: ip', () => {
  it('IPv4 and IPv6 addresses', () => {
    check('ip', ['192.168.1.1', '10.0.0.1', '8.8.8.8', '203.0.113.195', '255.255.255.255', '2001:db8::1', '::1',
      'fe80::1ff:fe23:4567:890a', '2001:0db8:85a3:0000:0000:8a2e:0370:7334', '::ffff:192.0.2.128', 'fe80::1%eth0']);
  });

  it('versions, times, MAC addresses and addresses with ports are not', () => {
    check(null, ['1.2.3', '1.2.3.4.5', '256.1.1.1', '192.168.1', '192.168.1.1:8080', '12:30:45', '00:1A:2B:3C:4D:5E',
      '2001:db8::1::2', 'gggg::1', '::', 'localhost']);
  });
});

describe('classifyValue: birth-date', () => {
  it('dates under a birth-date name', () => {
    check('birth-date', [['1990-04-23', 'dob'], ['1990-04-23', 'dateOfBirth'], ['23/04/1990', 'birth_date'], ['04/23/1990', 'birthdate'],
      ['23.04.1990', 'birthday'], ['19900423', 'DOB'], ['1990-04-23T00:00:00Z', 'date_of_birth'], ['2000-02-29', 'dob']]);
  });

  it('dates under other names, and non-dates under birth-date names, are not', () => {
    check(null, ['1990-04-23', ['1990-04-23', 'created_at'], ['1990-04-23', 'date'], ['1990-13-01', 'dob'], ['1990-02-30', 'dob'],
      ['1900-02-29', 'dob'], ['1790-04-23', 'dob'], ['unknown', 'dob'], ['32/01/1990', 'dob'], ['1990', 'dob'], ['90-04-23', 'dob']]);
  });
});

describe('classifyValue: everything else', () => {
  it('words, sentences, slugs, hashes and URLs have no class', () => {
    check(null, ['active', 'John Smith', 'The quick brown fox jumps over the lazy dog.', 'en-US', 'my-blog-post-title',
      'https://example.com/users/42', '/v1/users', 'd41d8cd98f00b204e9800998ecf8427e', 'SGVsbG8gV29ybGQ=', 'true', 'null', '',
      'ab', 'ABCDEF123456', 'INV-2024-000123', 'SKU-12345-XL', 'v1.2.3', '#ff0000', 'rgb(255, 0, 0)']);
    check(null, UUIDS);
  });

  it('returns a data class or null for any input, never throws', () => {
    const classes = new Set<string | null>([...DATA_CLASSES, null]);
    fc.assert(fc.property(fc.string({ maxLength: 300, unit: 'binary' }), fc.option(fc.string({ maxLength: 20 }), { nil: undefined }), (value, name) => {
      assert.ok(classes.has(classifyValue(value, name)));
    }), { numRuns: 1000 });
    fc.assert(fc.property(fc.stringMatching(/^[+() .\-0-9]{0,30}$/), (value) => {
      assert.ok(classes.has(classifyValue(value)));
    }), { numRuns: 1000 });
  });

  it('letters alone never have a class without a name', () => {
    fc.assert(fc.property(fc.stringMatching(/^[a-zA-Z ]{0,60}$/), (value) => {
      assert.equal(classifyValue(value), null);
    }), { numRuns: 500 });
  });

  it('looks no further than a PEM header in values over the length cap', () => {
    const long = `${'4111111111111111 '.repeat(MAX_VALUE_LENGTH / 8)}`;
    assert.equal(classifyValue(long), null);
    assert.equal(classifyValue(`+${'1'.repeat(MAX_VALUE_LENGTH + 1)}`, 'phone'), null);
  });
});

describe('classifyNumber', () => {
  it('classifies JSON numbers only under a name that says what they are', () => {
    assert.equal(classifyNumber(14155552671, 'phone'), 'phone');
    assert.equal(classifyNumber(14155552671, 'msisdn'), 'phone');
    assert.equal(classifyNumber(4111111111111111, 'card_number'), 'card');
    assert.equal(classifyNumber(4111111111111112, 'card_number'), null);
    assert.equal(classifyNumber(78051120, 'ssn'), 'national-id'); // 078-05-1120 without its leading zero
    assert.equal(classifyNumber(14155552671, undefined), null);
    assert.equal(classifyNumber(14155552671, 'id'), null);
    assert.equal(classifyNumber(4111111111111111, 'id'), null);
    assert.equal(classifyNumber(123, 'phone'), null);
    assert.equal(classifyNumber(1.5, 'phone'), null);
    assert.equal(classifyNumber(-14155552671, 'phone'), null);
    assert.equal(classifyNumber(2 ** 60, 'phone'), null);
  });
});
