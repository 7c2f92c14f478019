import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { nameHint } from './sensitive-names.ts';

describe('nameHint', () => {
  it('refines the audit\'s name table and adds the names that matter for values', () => {
    const cases: Array<[string, string]> = [
      ['phone', 'phone'], ['phoneNumber', 'phone'], ['MSISDN', 'phone'], ['mobile', 'phone'], ['tel', 'phone'], ['phones', 'phone'],
      ['email', 'email'], ['receipt_email', 'email'], ['emails', 'email'], ['emailAddress', 'email'],
      ['ssn', 'national-id'], ['nationalId', 'national-id'], ['passport_number', 'national-id'], ['nino', 'national-id'], ['dni', 'national-id'],
      ['dob', 'birth-date'], ['dateOfBirth', 'birth-date'], ['birth_date', 'birth-date'],
      ['password', 'password'], ['new_password', 'password'], ['passwd', 'password'], ['password_digest', 'password'], ['pwd', 'password'],
      ['token', 'secret'], ['access_token', 'secret'], ['client_secret', 'secret'], ['apiKey', 'secret'], ['x-api-key', 'secret'],
      ['key', 'secret'], ['signing_key', 'secret'], ['csrf_token', 'secret'], ['Authorization', 'secret'],
      ['card_number', 'card'], ['pan', 'card'], ['creditCard', 'card'],
      ['id', 'id'], ['orderId', 'id'], ['user_uuid', 'id'], ['transaction_ref', 'id'],
    ];
    for (const [name, hint] of cases) assert.equal(nameHint(name), hint, name);
  });

  it('says nothing of ordinary names, cursors, public keys and bookkeeping keys', () => {
    for (const name of ['name', 'status', 'devices', 'created_at', 'phoneType', 'emailVerified', 'next_page_token', 'pageToken',
      'idempotency_key', 'public_key', 'publishable_key', 'cache_key', 'sort_key', 'iban_country', 'cvv', '']) {
      assert.equal(nameHint(name), null, name);
    }
  });

  it('gives the same answer from its cache', () => {
    assert.equal(nameHint('msisdn'), 'phone');
    assert.equal(nameHint('msisdn'), 'phone');
  });
});
