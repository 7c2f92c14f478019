import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { serverBasePath, serversBasePaths, swaggerBasePath, trimBasePath } from './base-paths.ts';

describe('base paths', () => {
  it('removes a trailing slash; the root becomes ""', () => {
    assert.equal(trimBasePath('/'), '');
    assert.equal(trimBasePath('/v1/'), '/v1');
    assert.equal(trimBasePath('/v1'), '/v1');
  });

  it('takes the path of absolute and relative server URLs', () => {
    const warnings: string[] = [];
    const base = (url: string, variables?: object): string | null =>
      serverBasePath({ url, variables }, 'servers[0]', warnings);
    assert.equal(base('https://api.example.com'), '');
    assert.equal(base('https://api.example.com/'), '');
    assert.equal(base('https://api.example.com:8443/api/v2/'), '/api/v2');
    assert.equal(base('/api/v2'), '/api/v2');
    assert.equal(base('api/v2'), '/api/v2');
    assert.equal(base('.'), '');
    assert.equal(base('//cdn.example.com/assets'), '/assets');
    assert.equal(base('https://example.com/caf%C3%A9'), '/café');
    assert.equal(base('{scheme}://{host}/{basePath}/x', {
      scheme: { default: 'https' }, host: { default: 'example.com' }, basePath: { default: 'v3', enum: ['v3', 'v4'] },
    }), '/v3/x');
    assert.deepEqual(warnings, []);
  });

  it('keeps a variable without default as a template parameter, with a warning', () => {
    const warnings: string[] = [];
    assert.equal(serverBasePath({ url: '/{tenant}/api', variables: { tenant: {} } }, 'servers[0]', warnings), '/{tenant}/api');
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /\{tenant\} has no default/);
  });

  it('ignores unusable servers with a warning', () => {
    const warnings: string[] = [];
    assert.equal(serverBasePath({ url: 'https://' }, 'servers[1]', warnings), null);
    assert.equal(serverBasePath({ description: 'no url' }, 'servers[2]', warnings), null);
    assert.equal(warnings.length, 2);
  });

  it('inherits when servers are absent or empty, and removes duplicates', () => {
    const warnings: string[] = [];
    assert.deepEqual(serversBasePaths(undefined, ['/root'], 'servers', warnings), ['/root']);
    assert.deepEqual(serversBasePaths([], ['/root'], 'servers', warnings), ['/root']);
    assert.deepEqual(
      serversBasePaths([{ url: 'https://a.example.com/v1' }, { url: 'https://b.example.com/v1/' }, { url: '/v2' }], [''], 'servers', warnings),
      ['/v1', '/v2'],
    );
    assert.deepEqual(warnings, []);
  });

  it('reads the Swagger 2.0 basePath', () => {
    const warnings: string[] = [];
    assert.equal(swaggerBasePath(undefined, warnings), '');
    assert.equal(swaggerBasePath('/', warnings), '');
    assert.equal(swaggerBasePath('/api/', warnings), '/api');
    assert.equal(swaggerBasePath('api', warnings), '/api');
    assert.deepEqual(warnings, []);
  });
});
