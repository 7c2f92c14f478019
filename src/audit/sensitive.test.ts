import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyName, findSensitiveFields, isPhonePattern } from './sensitive.ts';

describe('classifyName', () => {
  test('the listed names, in any case and separator style', () => {
    const cases: Array<[string, string]> = [
      ['phone', 'contact'], ['phoneNumber', 'contact'], ['phone_number', 'contact'], ['MSISDN', 'contact'],
      ['email', 'contact'], ['receipt_email', 'contact'], ['ssn', 'government-id'], ['nationalId', 'government-id'],
      ['passport', 'government-id'], ['dob', 'birth-date'], ['dateOfBirth', 'birth-date'], ['password', 'credential'],
      ['token', 'credential'], ['client_secret', 'credential'], ['apiKey', 'credential'], ['api-key', 'credential'],
      ['iban', 'financial'], ['cardNumber', 'financial'], ['pan', 'financial'], ['sender_iban', 'financial'],
    ];
    for (const [name, kind] of cases) assert.equal(classifyName(name), kind, name);
  });

  test('look-alikes that are not sensitive', () => {
    for (const name of ['id', 'name', 'company', 'span', 'japan', 'emailVerified', 'phoneType', 'next_page_token',
      'pageToken', 'cursor', 'tokenization_method', 'secret_count', 'routing_number', 'last4']) {
      assert.equal(classifyName(name), null, name);
    }
  });
});

describe('isPhonePattern', () => {
  test('E.164 patterns, not others', () => {
    assert.equal(isPhonePattern('^\\+[1-9]\\d{1,14}$'), true);
    assert.equal(isPhonePattern('^\\+?[0-9 ]{7,20}$'), true);
    assert.equal(isPhonePattern('^[a-z]+$'), false);
    assert.equal(isPhonePattern('.*'), false);
    assert.equal(isPhonePattern('^\\d+$'), false);
    assert.equal(isPhonePattern('(['), false); // not a valid regular expression
  });
});

describe('findSensitiveFields', () => {
  test('paths through objects, arrays, compositions and maps', () => {
    const schema = {
      type: 'object',
      properties: {
        data: {
          type: 'array',
          items: {
            allOf: [
              { type: 'object', properties: { email: { type: 'string' } } },
              { type: 'object', properties: { contact: { type: 'string', format: 'email' } } },
            ],
          },
        },
        byId: { type: 'object', additionalProperties: { type: 'object', properties: { iban: { type: 'string' } } } },
        mobile: { type: 'string' },
      },
    };
    const fields = findSensitiveFields(schema, '/s');
    assert.deepEqual(fields.map((f) => [f.path, f.kind, f.reason]).sort(), [
      ['byId{*}.iban', 'financial', 'name'],
      ['data[].contact', 'contact', 'format'],
      ['data[].email', 'contact', 'name'],
      ['mobile', 'contact', 'name'],
    ]);
    assert.equal(fields.find((f) => f.path === 'data[].email')?.pointer, '/s/properties/data/items/allOf/0/properties/email');
  });

  test('cyclic schemas end, and a field is reported at its shallowest path', () => {
    const person: Record<string, unknown> = { type: 'object', properties: {} };
    (person.properties as Record<string, unknown>).friend = person;
    (person.properties as Record<string, unknown>).phone = { type: 'string' };
    const fields = findSensitiveFields({ type: 'object', properties: { owner: person } }, '');
    assert.deepEqual(fields.map((f) => f.path), ['owner.phone']);
  });

  test('the body itself', () => {
    assert.deepEqual(findSensitiveFields({ type: 'string', format: 'email' }, '/r').map((f) => f.path), ['(body)']);
    assert.deepEqual(findSensitiveFields(true, '/r'), []);
  });
});
