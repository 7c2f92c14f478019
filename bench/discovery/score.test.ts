/**
 * The scorer on a hand-made case small enough to count by hand, plus the
 * endpoint keys and the matcher it relies on.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isEnumExpansion, scoreMapping } from './score.ts';
import { compileMatcher, endpointKey } from './template-match.ts';

describe('scoreMapping', () => {
  // The document: four endpoints, one of them never requested.
  const documentKeys = new Set([
    'GET /users/{}', // 3 requests
    'GET /users/me', // 2 requests
    'GET /orders/{}', // 3 requests
    'GET /archive/{}', // an enum parameter: 2 requests
    'DELETE /users/{}', // no traffic
  ]);
  const enumKeys = new Set(['GET /archive/{}']);
  const truth = [
    'GET /users/{}', 'GET /users/{}', 'GET /users/{}',
    'GET /users/me', 'GET /users/me',
    'GET /orders/{}', 'GET /orders/{}', 'GET /orders/{}',
    'GET /archive/{}', 'GET /archive/{}',
  ];
  // The reconstruction: /users/me merged into /users/{} (a wrong merge),
  // /orders/{} split into a template and one over-specific literal (a wrong
  // split), the enum endpoint seen as its two literal values (a split that
  // is not scored in withoutEnum).
  const learned = [
    'GET /users/{}', 'GET /users/{}', 'GET /users/{}',
    'GET /users/{}', 'GET /users/{}',
    'GET /orders/{}', 'GET /orders/{}', 'GET /orders/1042',
    'GET /archive/tarball', 'GET /archive/zipball',
  ];
  const score = scoreMapping({ truth, learned, documentKeys, enumKeys });

  it('counts endpoints, precision, recall and F1', () => {
    assert.equal(score.requests, 10);
    // learned: /users/{}, /orders/{}, /orders/1042, /archive/tarball, /archive/zipball
    assert.equal(score.learnedEndpoints, 5);
    assert.equal(score.correctEndpoints, 2);
    assert.equal(score.precision, 2 / 5);
    // with traffic: 4 (DELETE /users/{} had none); recalled: /users/{} and /orders/{}
    assert.equal(score.documentEndpoints, 4);
    assert.equal(score.recalled, 2);
    assert.equal(score.recall, 2 / 4);
    assert.ok(Math.abs(score.f1 - (2 * 0.4 * 0.5) / 0.9) < 1e-12);
  });

  it('counts wrong merges and splits, and request accuracy', () => {
    assert.equal(score.wrongMerges, 1);
    assert.deepEqual(score.merges[0], {
      learned: 'GET /users/{}',
      requests: 5,
      endpoints: 2,
      document: [{ key: 'GET /users/{}', requests: 3 }, { key: 'GET /users/me', requests: 2 }],
    });
    assert.equal(score.wrongSplits, 2);
    assert.deepEqual(score.splits.map((s) => s.document).sort(), ['GET /archive/{}', 'GET /orders/{}']);
    // right: 3 users + 2 orders
    assert.equal(score.requestAccuracy, 5 / 10);
    assert.deepEqual(score.misses.map((m) => [m.document, m.learned.key]), [
      ['GET /users/me', 'GET /users/{}'],
      ['GET /archive/{}', 'GET /archive/tarball'],
    ]);
  });

  it('sets enum endpoints aside in withoutEnum', () => {
    // learned endpoints fed by non-enum endpoints: /users/{}, /orders/{}, /orders/1042
    assert.equal(score.withoutEnum.learnedEndpoints, 3);
    assert.equal(score.withoutEnum.precision, 2 / 3);
    assert.equal(score.withoutEnum.documentEndpoints, 3);
    assert.equal(score.withoutEnum.recall, 2 / 3);
  });

  it('scores a perfect reconstruction 1', () => {
    const perfect = scoreMapping({ truth, learned: truth, documentKeys, enumKeys });
    assert.equal(perfect.f1, 1);
    assert.equal(perfect.requestAccuracy, 1);
    assert.equal(perfect.wrongMerges + perfect.wrongSplits, 0);
  });

  describe('with the literal expansion of each enum request', () => {
    const enumLiteral = truth.map((t, i) => (t === 'GET /archive/{}' ? (i === 8 ? 'GET /archive/tarball' : 'GET /archive/zipball') : t));
    const literal = scoreMapping({ truth, learned, documentKeys, enumKeys, enumLiteral });

    it('counts the documented values learned as literal paths as the enum endpoint, once', () => {
      // learned: /users/{}, /orders/{}, /orders/1042, and the enum endpoint (both literals)
      assert.equal(literal.learnedEndpoints, 4);
      assert.equal(literal.correctEndpoints, 3);
      assert.equal(literal.recalled, 3);
      assert.equal(literal.recall, 3 / 4);
      assert.equal(literal.wrongSplits, 1);
      assert.deepEqual(literal.splits.map((s) => s.document), ['GET /orders/{}']);
      assert.equal(literal.requestAccuracy, 7 / 10);
    });

    it('keeps the strict view, where only the template is right', () => {
      assert.deepEqual(literal.strict, { ...score.strict });
      assert.equal(literal.strict.f1, score.f1);
      assert.deepEqual(literal.withoutEnum, score.withoutEnum);
    });

    it('takes a mix of the template and a literal, but not a literal of another value', () => {
      const mixed = scoreMapping({ truth, learned: [...learned.slice(0, 8), 'GET /archive/{}', 'GET /archive/tarball'], documentKeys, enumKeys, enumLiteral });
      assert.equal(mixed.recalled, 3);
      // the zipball request went to the tarball literal: that literal is no document endpoint
      assert.equal(mixed.learnedEndpoints, 5);
      assert.equal(mixed.correctEndpoints, 3);
      assert.deepEqual(mixed.splits.map((s) => s.document).sort(), ['GET /archive/{}', 'GET /orders/{}']);
    });
  });
});

describe('isEnumExpansion', () => {
  const truth = 'GET /m/{}/{}/{}/{}';
  const literal = 'GET /m/{}/user/content/{}';
  it('takes any mix of the template and the request\'s enum values', () => {
    for (const learned of [truth, literal, 'GET /m/{}/{}/content/{}', 'GET /m/{}/user/{}/{}']) assert.ok(isEnumExpansion(learned, truth, literal), learned);
  });
  it('refuses other values, a literal non-enum parameter and other shapes', () => {
    for (const learned of ['GET /m/{}/bot/content/{}', 'GET /m/en/user/content/{}', 'GET /m/{}/user/content', 'POST /m/{}/user/content/{}']) assert.ok(!isEnumExpansion(learned, truth, literal), learned);
    assert.ok(!isEnumExpansion('GET /m/a', 'GET /m/{}', 'GET /m/{}'));
  });
});

describe('endpoint keys and the matcher', () => {
  it('erases parameter names and decodes static text', () => {
    assert.equal(endpointKey('get', '/v1/users/{user_id}/cards/{id}'), 'GET /v1/users/{}/cards/{}');
    assert.equal(endpointKey('GET', '/files/{fileId}.pdf'), 'GET /files/{}.pdf');
    assert.equal(endpointKey('GET', '/caf%C3%A9/{x}'), endpointKey('GET', '/café/{y}'));
    assert.equal(endpointKey('GET', '/users/'), 'GET /users');
    assert.equal(endpointKey('GET', '/'), 'GET /');
  });

  it('prefers static segments, then in-segment parameters, and backtracks', () => {
    const matcher = compileMatcher([
      { method: 'GET', template: '/users/{id}' },
      { method: 'GET', template: '/users/me' },
      { method: 'GET', template: '/files/{name}.pdf' },
      { method: 'GET', template: '/files/{name}' },
      { method: 'GET', template: '/users/me/{x}/b' },
      { method: 'GET', template: '/users/{id}/{x}/c' },
    ]);
    assert.equal(matcher.match('GET', '/users/42'), 0);
    assert.equal(matcher.match('GET', '/users/me'), 1);
    assert.equal(matcher.match('POST', '/users/me'), -1);
    assert.equal(matcher.match('GET', '/files/report.pdf'), 2);
    assert.equal(matcher.match('GET', '/files/report.txt'), 3);
    assert.equal(matcher.match('GET', '/users/me/1/c'), 5);
  });
});
