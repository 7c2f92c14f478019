import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { classifySegment, extensionStart, isIdentifierShape, readsLikeApiWord, SEGMENT_SHAPES, shapeCode } from './segment-shapes.ts';
import type { SegmentShape } from './segment-shapes.ts';
import { seededRandom } from './test-random.ts';


const random = seededRandom(42);
function pick(alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[Math.floor(random() * alphabet.length)];
  return out;
}
const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const HEX = '0123456789abcdef';
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function many(count: number, make: () => string): string[] {
  return Array.from({ length: count }, make);
}

/** share of values classified as an identifier (a parameter on first sight) */
function identifierShare(values: readonly string[]): number {
  let n = 0;
  for (const value of values) if (isIdentifierShape(classifySegment(value), value.length)) n++;
  return n / values.length;
}

describe('classifySegment: words stay words', () => {
  const words: Array<[string, SegmentShape]> = [
    ['me', 'word'],
    ['search', 'word'],
    ['customers', 'word'],
    ['payment_intents', 'word'],
    ['chat.postMessage', 'word'],
    ['users.list', 'word'],
    ['admin.conversations.restrictAccess.addGroup', 'word'],
    ['oauth2', 'word'],
    ['.well-known', 'word'],
    ['ipv4', 'word'],
    ['s3', 'word'],
    ['x509', 'word'],
    ['3d_secure', 'word'],
    ['repositoriesV2', 'word'],
    ['getUserByEmailAddress', 'word'],
    ['strengths', 'word'],
    ['hello-world', 'word'],
    ['octocat', 'word'],
    ['Zürich', 'word'],
    ['v1', 'version'],
    ['v2', 'version'],
    ['V3', 'version'],
    ['v2.1', 'version'],
    ['v1beta1', 'version'],
    ['1.0', 'version'],
    ['2.0', 'version'],
    ['1.2.3', 'version'],
    ['2010-04-01', 'date'],
    ['2021-06', 'date'],
    ['2021-06-01T12:00:00Z', 'date'],
    ['20100401', 'date'],
    ['my-post-123', 'slug'],
    ['load_15', 'slug'],
    ['enterprise-28-day', 'slug'],
    ['', 'empty'],
    ['*', 'other'],
    ['a b', 'other'],
  ];
  for (const [segment, shape] of words) {
    it(`'${segment}' is ${shape}, not an identifier`, () => {
      assert.equal(classifySegment(segment), shape);
      assert.equal(isIdentifierShape(shape, segment.length), false);
    });
  }

  const github = 'node_modules/@octokit/openapi/generated/api.github.com.json';
  it('calls no static segment of the GitHub description an identifier', { skip: !existsSync(github) }, () => {
    const document = JSON.parse(readFileSync(github, 'utf8')) as { paths: Record<string, unknown> };
    const statics = new Set<string>();
    for (const path of Object.keys(document.paths)) for (const segment of path.split('/')) if (segment !== '' && !segment.includes('{')) statics.add(segment);
    assert.ok(statics.size > 300, `${statics.size} static segments`);
    const wrong = [...statics].filter((segment) => isIdentifierShape(classifySegment(segment), segment.length));
    assert.deepEqual(wrong, []);
  });

  it('never calls a word made of lower-case letters and separators an identifier (property)', () => {
    const word = fc.stringMatching(/^[a-z]{1,12}$/);
    const separated = fc.tuple(fc.array(word, { minLength: 1, maxLength: 4 }), fc.constantFrom('_', '-', '.')).map(([parts, sep]) => parts.join(sep));
    fc.assert(
      fc.property(separated, (segment) => !isIdentifierShape(classifySegment(segment), segment.length)),
      { numRuns: 2000 },
    );
  });
});

describe('classifySegment: identifiers', () => {
  const cases: Array<[string, string[], readonly SegmentShape[]]> = [
    ['UUIDs', many(200, () => crypto.randomUUID()), ['uuid']],
    ['upper-case UUIDs', many(50, () => crypto.randomUUID().toUpperCase()), ['uuid']],
    ['ULIDs', many(200, () => pick('01234567', 1) + pick(CROCKFORD, 25)), ['ulid']],
    ['integers of 4 digits or more', many(200, () => String(1000 + Math.floor(random() * 1e9))), ['integer']],
    ['Mongo ObjectIds', many(200, () => pick('0123456789', 1) + pick(HEX, 23)), ['hex']],
    ['MD5 digests', many(100, () => '0' + pick(HEX, 31)), ['md5']],
    ['SHA-1 digests', many(100, () => 'a1' + pick(HEX, 38)), ['sha1']],
    ['SHA-256 digests', many(100, () => 'f0' + pick(HEX, 62)), ['sha256']],
    ['e-mail addresses', many(100, () => `${pick('abcdefghij', 6)}.${pick('klmnop', 4)}@example.com`), ['email']],
    ['E.164 phone numbers', many(100, () => '+' + String(1 + Math.floor(random() * 9)) + pick('0123456789', 6 + Math.floor(random() * 8))), ['phone']],
    ['Stripe-style ids', many(300, () => pick('abcdefghijklmnopqrstuvwxyz', 2 + Math.floor(random() * 3)) + '_' + pick(BASE62, 14 + Math.floor(random() * 10))), ['prefixed-id']],
    ['record numbers with a capital prefix', many(50, () => pick('ABCDEFGHIJKLMNOPQRSTUVWXYZ', 1 + Math.floor(random() * 3)) + pick('-_', 1) + pick('0123456789', 5 + Math.floor(random() * 5))), ['prefixed-id']],
    ['secret-key style ids', many(50, () => 'sk_test_' + pick(BASE62, 24)), ['prefixed-id']],
    ['AWS instance ids', many(50, () => 'i-0' + pick(HEX, 16)), ['prefixed-id']],
    ['GitHub digests', many(50, () => 'sha256:' + pick(HEX, 64)), ['prefixed-id']],
    ['AWS resource names without a slash', many(50, () => `arn:aws:sns:us-east-1:${pick('0123456789', 12)}:${pick('abcdefghij', 6)}-${pick('klmnop', 4)}`), ['prefixed-id']],
    ['URNs', many(50, () => `urn:li:person:${pick('0123456789', 8)}`), ['prefixed-id']],
    ['record numbers with a capital prefix run in', many(50, () => pick('ABCDEFGHIJKLMNOPQRSTUVWXYZ', 1 + Math.floor(random() * 3)) + pick('123456789', 1) + pick('0123456789', 5 + Math.floor(random() * 4))), ['prefixed-id']],
    ['IPv4 addresses', many(50, () => `10.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}`), ['ip']],
    ['padded base64', many(100, () => pick(BASE62, 22) + '=='), ['base64']],
  ];
  for (const [name, values, shapes] of cases) {
    it(`classifies ${name} as ${shapes.join(' or ')}, an identifier on first sight`, () => {
      for (const value of values) {
        const shape = classifySegment(value);
        assert.ok(shapes.includes(shape), `${value}: ${shape}`);
        assert.equal(isIdentifierShape(shape, value.length), true, value);
      }
    });
  }

  it('calls nearly all random base62 and nanoid tokens identifiers, the rest words (statistics decide those)', () => {
    const base62 = many(1000, () => pick(BASE62, 16 + Math.floor(random() * 16)));
    const nanoid = many(1000, () => pick(BASE62 + '_-', 21));
    assert.ok(identifierShare(base62) >= 0.97, `base62: ${identifierShare(base62)}`);
    assert.ok(identifierShare(nanoid) >= 0.97, `nanoid: ${identifierShare(nanoid)}`);
  });

  it('calls random mixed-case tokens with one digit or none identifiers, though their case reads like camelCase', () => {
    // DocuSign-style 20-character base62 envelope ids that isRandom alone called words
    const scrambled = ['OtixohRuqsduoquF3Rkh', 'dEsoTkmsubampPExQilM', 'yRCxdbYQjcQFxkbehekd', 'NZIWouwAprkXAdjoQRQK', 'gvVubuaADIFEqieNXJEP'];
    for (const value of scrambled) {
      assert.equal(classifySegment(value), 'token', value);
      assert.equal(isIdentifierShape('token', value.length), true, value);
    }
    const noDigit = many(3000, () => pick(BASE62.slice(0, 52), 20));
    assert.ok(identifierShare(noDigit) >= 0.99, `20 letters, no digit: ${identifierShare(noDigit)}`);
  });

  it('calls codes of capitals and digits identifiers (transit stop codes, SKUs), not short acronyms', () => {
    for (const value of ['940GZZLUASL', '940GZZLUVIC', 'HUBKGX9101', '1Z999AA10123456784']) {
      assert.equal(isIdentifierShape(classifySegment(value), value.length), true, value);
    }
    for (const value of ['SHA256', 'ISO8601', 'HTTP2', 'X509CERT', 'OAUTH2', 'ISO-8601', 'RFC-3339']) {
      assert.equal(isIdentifierShape(classifySegment(value), value.length), false, value);
    }
  });

  it('keeps camelCase and PascalCase API words words (GitHub, Stripe, Jellyfin, DocuSign, Kubernetes, Azure, AWS)', () => {
    const words = [
      'AlbumArtists', 'PlaybackInfo', 'RemoteSearch', 'MediaSegments', 'ThemeMedia', 'DisplayPreferences', 'InstantMix',
      'securityClassification', 'getUserByEmailAddress', 'repositoriesV2', 'consumer_disclosure', 'delayedRouting',
      'bulkSendBatchId', 'envelopeTransferRules', 'brandResourcesByContentType', 'chunkedUploadParts', 'signatureProviders',
      'mutatingwebhookconfigurations', 'persistentvolumeclaims', 'customBoardBackgrounds', 'OutgoingCallerIds',
      'AddLFTagsToResource', 'SearchTablesByLFTags', 'dedicatedHSMs', 'jSrcStationToDstStationInfo', 'HTTPServerConfig',
      'userExperienceAnalyticsAppHealthApplicationPerformanceByOSVersion', 'GenerateQRCode',
      'appStoreVersionLocalizations', 'RemoveLFTagsFromResource', 'iotSecuritySolutions', 'XmlHttpRequest', 'SetShuffleMode',
    ];
    for (const segment of words) assert.equal(classifySegment(segment), 'word', segment);
  });

  it('keeps short integers out: they may be versions (/2/tweets)', () => {
    assert.equal(classifySegment('2'), 'integer');
    assert.equal(isIdentifierShape('integer', 1), false);
    assert.equal(isIdentifierShape('integer', 3), false);
    assert.equal(isIdentifierShape('integer', 4), true);
  });

  it('reads plain 10 to 15 digit numbers as integers (a phone number or an id: both are identifiers)', () => {
    assert.equal(classifySegment('4155552671'), 'integer');
    assert.equal(isIdentifierShape('integer', 10), true);
  });
});

describe('classifySegment: any input', () => {
  it('answers one of the shapes, and shapeCode agrees (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (segment) => {
        const shape = classifySegment(segment);
        return SEGMENT_SHAPES.includes(shape) && SEGMENT_SHAPES[shapeCode(segment)] === shape;
      }),
      { numRuns: 3000 },
    );
  });
});

describe('extensionStart', () => {
  it('finds a known file extension after the last dot', () => {
    assert.equal(extensionStart('123.json'), 3);
    assert.equal(extensionStart('3fa85f64-5717-4562-b3fc-2c963f66afa6.png'), 36);
    assert.equal(extensionStart('report.tar.gz'), 10);
  });
  it('ignores dotted method names, versions and leading dots', () => {
    assert.equal(extensionStart('chat.postMessage'), -1);
    assert.equal(extensionStart('users.list'), -1);
    assert.equal(extensionStart('2.0'), -1);
    assert.equal(extensionStart('.json'), -1);
  });
});

describe('readsLikeApiWord: could an API name a path so', () => {
  it('takes API words with separators, acronyms, short ones and digits at a word\u2019s end', () => {
    for (const word of ['payment_intents', 'chat.postMessage', 'oauth2', 'projectsV2', 'EC2Windows', 'AWSMigrationHub', 'sync', 'html', 'me', 's3', 'code-scanning', 'x509']) {
      assert.equal(readsLikeApiWord(word), true, word);
    }
  });

  it('refuses random letters and letters mixed with digits, which are values however often they recur', () => {
    for (const value of ['t7R3Rgwih', 'upjjDkrdhct3', 'JgWuwM', 'hmzyAospwou2', 'JaWEE2F', 'TJTi6A', 'nbX9KbX']) assert.equal(readsLikeApiWord(value), false, value);
  });
});
