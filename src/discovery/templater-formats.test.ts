/**
 * The templater on streaming-API traffic (Jellyfin-like): an identifier and
 * a file extension in one segment, media extensions, language tags, and
 * enum values that are endpoints of their own.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { isExtensionLike, languageTagForm } from './segment-shapes.ts';
import { createPathTemplater } from './templater.ts';
import type { PathTemplater } from './templater.ts';
import { seededRandom } from './test-random.ts';


function pick<T>(values: readonly T[], random: () => number): T {
  return values[Math.floor(random() * values.length)] as T;
}

function templateSet(templater: PathTemplater): Set<string> {
  return new Set(templater.templates().map((t) => t.template));
}

const VIDEO = ['mp4', 'mkv', 'webm', 'ts', 'm4v', 'mov', 'avi', 'asf'];

describe('segment shapes: extensions and language tags', () => {
  it('tells extensions known or not, and language tags with and without a subtag', () => {
    assert.equal(isExtensionLike('mkv'), true);
    assert.equal(isExtensionLike('asf'), true);
    assert.equal(isExtensionLike('postMessage'), false);
    assert.equal(isExtensionLike('2x'), false);
    assert.equal(languageTagForm('pt'), 1);
    assert.equal(languageTagForm('pt-BR'), 2);
    assert.equal(languageTagForm('es-419'), 2);
    assert.equal(languageTagForm('zh-Hant'), 2);
    assert.equal(languageTagForm('users'), 0);
    assert.equal(languageTagForm('pt-br-x'), 0);
  });
});

describe('createPathTemplater: custom methods after an identifier (AIP-136)', () => {
  const id = (): string => randomUUID();

  it('learns /v1/{name}:verb with one endpoint per method, and a new name joins it', () => {
    const random = seededRandom(7);
    const templater = createPathTemplater();
    for (let i = 0; i < 120; i++) templater.observe('POST', 'ml.local', `/v1/${id()}:${pick(['exportFeatureValues', 'cancel', 'batchGet', 'move_tag_id'], random)}`);
    for (let i = 0; i < 40; i++) templater.observe('GET', 'ml.local', `/v1/${id()}`);
    const templates = templateSet(templater);
    for (const verb of ['exportFeatureValues', 'cancel', 'batchGet', 'move_tag_id']) assert.ok([...templates].some((t) => t.endsWith(`}:${verb}`)), `${verb} in ${[...templates].join(', ')}`);
    assert.equal(templates.size, 5);
    assert.match(templater.match('POST', 'ml.local', `/v1/${id()}:cancel`).template, /^\/v1\/\{[A-Za-z]+\}:cancel$/);
    assert.notEqual(templater.match('POST', 'ml.local', `/v1/${id()}:cancel`).template, templater.match('POST', 'ml.local', `/v1/${id()}:batchGet`).template);
  });

  it('makes no method of a value that merely has a colon in it, each tail seen once', () => {
    const random = seededRandom(9);
    const templater = createPathTemplater();
    // random text after the colon, as a pattern like '^.+$' makes ('cgzUs', 'lcTf', 'yzqy')
    const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
    const tail = (): string => Array.from({ length: 4 + Math.floor(random() * 4) }, () => pick([...letters], random)).join('');
    for (let i = 0; i < 200; i++) templater.observe('GET', 'voice.local', `/sip-rules/${randomUUID()}`);
    for (let i = 0; i < 20; i++) templater.observe('GET', 'voice.local', `/sip-rules/${randomUUID()}:${tail()}`);
    assert.deepEqual([...templateSet(templater)], ['/sip-rules/{sipRuleId}']);
  });

  it('keeps an ARN, a digest and a colon word under a static parent as they were', () => {
    const random = seededRandom(8);
    const templater = createPathTemplater();
    for (let i = 0; i < 60; i++) {
      templater.observe('GET', 'a.local', `/functions/arn:aws:lambda:us-east-1:${100000 + Math.floor(random() * 1e6)}:function:fn${i}`);
      templater.observe('DELETE', 'a.local', `/digests/sha256:${[...Array(64)].map(() => '0123456789abcdef'[Math.floor(random() * 16)]).join('')}`);
    }
    templater.observe('POST', 'a.local', '/v1/projects:search');
    assert.deepEqual([...templateSet(templater)].sort(), ['/digests/{digestId}', '/functions/{functionId}', '/v1/projects:search']);
  });

  it('keeps a collection\u2019s own methods static beside /v1/{name}:verb (/v1/people:batchGet, /v2/entries:list)', () => {
    const random = seededRandom(10);
    const templater = createPathTemplater();
    for (let i = 0; i < 200; i++) {
      templater.observe('PATCH', 'people.local', `/v1/${encodeURIComponent(`people/${Math.floor(random() * 1e7)}`)}:updateContact`);
      templater.observe('GET', 'people.local', `/v1/${encodeURIComponent(`people/${Math.floor(random() * 1e7)}`)}`);
      templater.observe('GET', 'people.local', `/v1/${pick(['people:batchGet', 'people:searchContacts', 'people:createContact', 'contactGroups', 'contactGroups:batchGet', 'entries:list'], random)}`);
    }
    assert.deepEqual([...templateSet(templater)].sort(), [
      '/v1/contactGroups',
      '/v1/contactGroups:batchGet',
      '/v1/entries:list',
      '/v1/people:batchGet',
      '/v1/people:createContact',
      '/v1/people:searchContacts',
      '/v1/{id}',
      '/v1/{id}:updateContact',
    ]);
  });

  it('does not count a collection\u2019s methods among the words of a position, which would look like a vocabulary (/v2/{metricName} beside /v2/entries:list)', () => {
    const random = seededRandom(11);
    const parts = ['cherry', 'shop', 'koala', 'bloom', 'reef', 'birch', 'blaze', 'lotus', 'mesa', 'pebble', 'green', 'net', 'auth', 'galaxy'];
    const templater = createPathTemplater();
    for (let i = 0; i < 600; i++) {
      const r = random();
      // one static collection takes half the traffic, the methods of another a sixth
      const path = r < 0.55
        ? '/v2/monitoredResourceDescriptors'
        : r < 0.7
          ? `/v2/entries:${pick(['copy', 'write', 'list', 'tail'], random)}`
          : r < 0.8
            ? `/v2/${encodeURIComponent(`projects/${Math.floor(random() * 1e6)}/sinks/${Math.floor(random() * 1e6)}`)}${pick(['', ':cancel'], random)}`
            : `/v2/${pick(parts, random)}${pick(['-', '_', ''], random)}${pick(parts, random)}`;
      templater.observe(pick(['GET', 'PUT', 'DELETE'], random), 'logging.local', path);
    }
    assert.deepEqual([...templateSet(templater)].sort(), ['/v2/entries:copy', '/v2/entries:list', '/v2/entries:tail', '/v2/entries:write', '/v2/monitoredResourceDescriptors', '/v2/{id}', '/v2/{id}:cancel']);
  });
});

describe('createPathTemplater: parameters inside a segment', () => {
  it('learns /Audio/{id}/stream.{container} from media extensions', () => {
    const random = seededRandom(1);
    const templater = createPathTemplater();
    for (let i = 0; i < 60; i++) templater.observe('GET', 'media.local', `/Audio/${randomUUID()}/stream.${pick(['mp3', 'flac', 'aac', 'ogg', 'opus', 'wma'], random)}`);
    assert.deepEqual([...templateSet(templater)], ['/Audio/{audioId}/stream.{id}']);
    assert.equal(templater.match('GET', 'media.local', `/Audio/${randomUUID()}/stream.m4a`).template, '/Audio/{audioId}/stream.{id}');
  });

  it('learns /Videos/{id}/{stream}.{container}: an identifier and an extension in one segment', () => {
    const random = seededRandom(2);
    const templater = createPathTemplater();
    for (let i = 0; i < 80; i++) templater.observe('GET', 'media.local', `/Videos/${randomUUID()}/str_${randomUUID().replace(/-/g, '').slice(0, 20)}.${pick(VIDEO, random)}`);
    assert.deepEqual([...templateSet(templater)], ['/Videos/{videoId}/{id}.{format}']);
    const learned = templater.templates()[0];
    assert.deepEqual(learned?.params.map((p) => p.name), ['videoId', 'id']);
    // an extension seen for the first time joins the pattern
    assert.equal(templater.match('GET', 'media.local', `/Videos/${randomUUID()}/str_a8Kd02LmQw9zXv7Bn3Rt.flv`).template, '/Videos/{videoId}/{id}.{format}');
  });

  it('keeps one identifier with one extension as {id}.json, beside nothing else', () => {
    const templater = createPathTemplater();
    for (let i = 0; i < 30; i++) templater.observe('GET', 'api.example.com', `/reports/${100000 + i * 7919}.json`);
    assert.deepEqual([...templateSet(templater)], ['/reports/{reportId}.json']);
  });
});

describe('createPathTemplater: language tags', () => {
  it('learns /Subtitles/{language} from language tags that recur, and keeps a vocabulary of words static', () => {
    const random = seededRandom(3);
    const languages = ['en', 'en-US', 'en-GB', 'de', 'de-DE', 'fr', 'fr-FR', 'es', 'es-MX', 'it', 'pt', 'pt-BR', 'nl', 'sv'];
    const templater = createPathTemplater();
    for (let i = 0; i < 300; i++) {
      templater.observe('GET', 'media.local', `/Items/${randomUUID()}/RemoteSearch/Subtitles/${pick(languages, random)}`);
      templater.observe('GET', 'media.local', `/Items/${randomUUID()}/${pick(['Ancestors', 'Similar', 'ThemeSongs', 'ThemeVideos', 'Download', 'File', 'CriticReviews'], random)}`);
    }
    const templates = templateSet(templater);
    assert.ok(templates.has('/Items/{itemId}/RemoteSearch/Subtitles/{subtitleId}'));
    assert.ok(!templates.has('/Items/{itemId}/RemoteSearch/Subtitles/pt-BR'));
    assert.ok(templates.has('/Items/{itemId}/Ancestors'));
    assert.ok(templates.has('/Items/{itemId}/CriticReviews'));
  });

  it('keeps two-letter words static when none has a region', () => {
    const random = seededRandom(4);
    const templater = createPathTemplater();
    for (let i = 0; i < 200; i++) templater.observe('GET', 'api.example.com', `/accounts/${randomUUID()}/${pick(['me', 'os', 'ip', 'db', 'ui', 'tv', 'qa'], random)}`);
    assert.ok(templateSet(templater).has('/accounts/{accountId}/db'));
  });
});

describe('createPathTemplater: enum values that are endpoints of their own', () => {
  const IMAGE_TYPES = ['Art', 'Backdrop', 'Banner', 'Box', 'BoxRear', 'Chapter', 'Disc', 'Logo', 'Menu', 'Primary', 'Profile', 'Screenshot', 'Thumb'];

  it('learns /Items/{id}/Images/{imageType} and /{imageType}/{index} from a dozen singular words read alike', () => {
    const random = seededRandom(5);
    const templater = createPathTemplater();
    for (let i = 0; i < 1500; i++) {
      const type = IMAGE_TYPES[Math.floor(random() ** 2 * IMAGE_TYPES.length)] as string;
      const method = pick(['GET', 'HEAD', 'DELETE', 'POST'], random);
      const item = randomUUID();
      if (random() < 0.5) templater.observe(method, 'media.local', `/Items/${item}/Images/${type}`);
      else templater.observe(method, 'media.local', `/Items/${item}/Images/${type}/${1000 + Math.floor(random() * 9000)}`);
    }
    const templates = templateSet(templater);
    assert.ok(templates.has('/Items/{itemId}/Images/{imageId}'), [...templates].join(' '));
    assert.ok(templates.has('/Items/{itemId}/Images/{imageId}/{id}'));
    assert.ok(!templates.has('/Items/{itemId}/Images/Art'));
  });

  it('keeps plural collections static, each listed and read by id (/v2/droplets, /v2/volumes …)', () => {
    const random = seededRandom(6);
    const collections = ['droplets', 'volumes', 'images', 'snapshots', 'domains', 'certificates', 'firewalls', 'projects'];
    const templater = createPathTemplater();
    for (let i = 0; i < 1500; i++) {
      const collection = pick(collections, random);
      if (random() < 0.5) templater.observe('GET', 'api.example.com', `/v2/teams/${randomUUID()}/${collection}`);
      else templater.observe('GET', 'api.example.com', `/v2/teams/${randomUUID()}/${collection}/${randomUUID()}`);
    }
    const templates = templateSet(templater);
    for (const collection of collections) assert.ok(templates.has(`/v2/teams/{teamId}/${collection}`), collection);
  });
});

describe('createPathTemplater: OData keys and function calls in a segment', () => {
  it('keeps the call and its argument names, and makes each value a parameter', () => {
    const templater = createPathTemplater();
    for (let i = 0; i < 20; i++) templater.observe('GET', 'batch.local', `/certificates(thumbprintAlgorithm=sha1,thumbprint=${(123456789 * (i + 1)).toString(16)})`);
    for (let i = 0; i < 5; i++) templater.observe('GET', 'batch.local', `/Products(${i + 1})/Orders`);
    templater.observe('GET', 'batch.local', "/reports/getReport(period='D7')");
    templater.observe('GET', 'batch.local', '/me/delta()');
    for (const word of ['jobs', 'pools', 'nodecounts', 'applications']) templater.observe('GET', 'batch.local', `/${word}`);
    assert.deepEqual([...templateSet(templater)].sort(), [
      '/Products({productId})/Orders',
      '/applications',
      '/certificates(thumbprintAlgorithm={thumbprintAlgorithm},thumbprint={thumbprint})',
      '/jobs',
      '/me/delta()',
      '/nodecounts',
      '/pools',
      "/reports/getReport(period='{period}')",
    ]);
    assert.equal(templater.match('GET', 'batch.local', '/certificates(thumbprintAlgorithm=sha256,thumbprint=ff00)').template, '/certificates(thumbprintAlgorithm={thumbprintAlgorithm},thumbprint={thumbprint})');
    assert.equal(templater.match('GET', 'batch.local', "/reports/getReport(period='D30')").template, "/reports/getReport(period='{period}')");
  });
});

describe('createPathTemplater: country codes', () => {
  const COUNTRIES = ['CA', 'DE', 'FR', 'GB', 'US', 'ES', 'IT', 'NL', 'BE', 'PT', 'SE', 'PL', 'AT', 'CH', 'IE', 'DK'];

  it('learns /vat/lookup/{country} from eight or more two-capital codes, however often they repeat', () => {
    const random = seededRandom(31);
    const templater = createPathTemplater();
    for (let i = 0; i < 400; i++) templater.observe('POST', 'kyc.local', `/api/v1/vat/lookup/${pick(COUNTRIES.slice(0, 10), random)}`);
    assert.deepEqual([...templateSet(templater)], ['/api/v1/vat/lookup/{lookupId}']);
    assert.equal(templater.match('POST', 'kyc.local', '/api/v1/vat/lookup/DK').template, '/api/v1/vat/lookup/{lookupId}');
  });

  it('keeps seven codes, or codes beside an API word, static', () => {
    const random = seededRandom(32);
    const templater = createPathTemplater();
    for (let i = 0; i < 400; i++) templater.observe('GET', 'kyc.local', `/rates/${pick(COUNTRIES.slice(0, 7), random)}`);
    for (let i = 0; i < 400; i++) templater.observe('GET', 'kyc.local', `/zones/${pick([...COUNTRIES.slice(0, 9), 'summary'], random)}`);
    assert.equal(templater.match('GET', 'kyc.local', '/rates/CA').template, '/rates/CA');
    assert.equal(templater.match('GET', 'kyc.local', '/zones/CA').template, '/zones/CA');
  });
});

describe('createPathTemplater: pattern parameters stay bounded', () => {
  it('makes at most 256 method or call templates at one position, however many names a client makes up', () => {
    const templater = createPathTemplater();
    const parts = ['export', 'import', 'publish', 'cancel', 'deploy', 'archive', 'restore', 'rotate', 'verify', 'refresh', 'enable', 'disable', 'resume', 'suspend', 'update', 'create',
      'delete', 'validate', 'promote', 'release', 'migrate', 'replace', 'resize', 'rename', 'attach', 'detach', 'upload', 'download', 'schedule', 'reboot', 'reset', 'approve'];
    const nouns = ['Values', 'Feature', 'Model', 'Policy', 'Member', 'Version', 'Secret', 'Token', 'Record', 'Table', 'Index', 'Image', 'Volume', 'Bucket', 'Object', 'Entry'];
    for (const part of parts) {
      for (const noun of nouns) {
        for (let i = 0; i < 2; i++) {
          templater.observe('POST', 'ml.local', `/v1/${randomUUID()}:${part}${noun}`);
          templater.observe('GET', 'ml.local', `/odata/Products(${part}${noun}=${i})`);
        }
      }
    }
    const templates = [...templateSet(templater)];
    // 512 names each: the first 256 make templates, the rest go to the whole-segment parameter
    assert.ok(templates.filter((t) => t.startsWith('/v1/')).length <= 257, `${templates.length} templates`);
    assert.ok(templates.filter((t) => t.startsWith('/odata/')).length <= 257, `${templates.length} templates`);
  });
});
