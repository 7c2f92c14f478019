import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseTemplate, routablePath, routeKey, toFindMyWayRoute } from './template.ts';

describe('path templates', () => {
  it('parses parameters anywhere in a segment', () => {
    assert.deepEqual(parseTemplate('/files/{name}.{ext}'), [
      [{ kind: 'static', text: 'files' }],
      [{ kind: 'param', name: 'name' }, { kind: 'static', text: '.' }, { kind: 'param', name: 'ext' }],
    ]);
    assert.deepEqual(parseTemplate('/'), [[]]);
    assert.deepEqual(parseTemplate('/a/'), [[{ kind: 'static', text: 'a' }], []]);
    // an unclosed brace is text
    assert.deepEqual(parseTemplate('/a{b'), [[{ kind: 'static', text: 'a{b' }]]);
  });

  it('routes on the path before a query or fragment', () => {
    assert.deepEqual(routablePath('/search?q={q}'), { path: '/search', hadQuery: true });
    assert.deepEqual(routablePath('/?Action=List'), { path: '/', hadQuery: true });
    assert.deepEqual(routablePath('/a/{b}'), { path: '/a/{b}', hadQuery: false });
  });

  it('gives the same key to templates that differ only in parameter names', () => {
    const key = (t: string, ignoreTrailingSlash = false): string => routeKey(parseTemplate(t), ignoreTrailingSlash);
    assert.equal(key('/users/{id}'), key('/users/{userId}'));
    assert.notEqual(key('/users/{id}'), key('/users/{id}/'));
    assert.equal(key('/users/{id}', true), key('/users/{id}/', true));
    assert.equal(key('/', true), '/');
    assert.notEqual(key('/a/{b}'), key('/a/\\{}'));
  });

  it('converts to find-my-way syntax', () => {
    const route = (t: string): ReturnType<typeof toFindMyWayRoute> => toFindMyWayRoute(parseTemplate(t));
    assert.deepEqual(route('/users/{id}'), { path: '/users/:id', rename: null, endsWithPlainParam: true });
    assert.deepEqual(route('/'), { path: '/', rename: null, endsWithPlainParam: false });
    assert.deepEqual(route('/users/{id}/'), { path: '/users/:id/', rename: null, endsWithPlainParam: false });
    assert.equal(route('/files/{name}.{ext}').path, '/files/:name([\\s\\S]+?).:ext([\\s\\S]+?)');
    assert.equal(route('/v1/{name}:cancel').path, '/v1/:name([\\s\\S]+?)::cancel');
    assert.equal(route('/items:batchGet').path, '/items::batchGet');
    assert.equal(route('/v{version}/x').path, '/v:version([\\s\\S]+?)/x');
    assert.deepEqual(route('/a/{user-id}'), { path: '/a/:p0', rename: [['p0', 'user-id']], endsWithPlainParam: true });
    assert.deepEqual(route('/a/b*c$'), { path: '/a/:s0(b\\x2ac\\x24)', rename: [['s0', null]], endsWithPlainParam: false });
  });
});
