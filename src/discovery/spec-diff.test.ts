import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { diffInventory, maskExample, templateKey, type SpecDocuments } from './spec-diff.ts';
import type { Finding, InventoryEndpoint } from './types.ts';
import { loadDocument } from '../openapi/load.ts';
import { loadOperationDetails } from '../openapi/responses.ts';
import { documentOf } from '../openapi/test-helpers.ts';
import { shapeOf, mergeShapes } from './json-shape.ts';
import { DAY, T0, dataClass, fixture, learned, makeEndpoint } from '../../test/fixtures/discovery/endpoints.ts';

async function specs(): Promise<SpecDocuments> {
  return {
    current: [await loadDocument(fixture('current-v2.yaml'))],
    details: await loadOperationDetails(fixture('current-v2.yaml')),
    previous: [await loadDocument(fixture('previous-v2.yaml'))],
  };
}

/** The one finding of a kind on an endpoint, optionally with a word of its title ('query', 'statuses', ' 200 '). */
function only(findings: readonly Finding[], kind: Finding['kind'], method: string, template: string, titleHas?: string): Finding {
  const found = findings.filter((f) => f.kind === kind && f.method === method && f.template === template
    && (titleHas === undefined || f.title.includes(titleHas)));
  assert.equal(found.length, 1, `one ${kind} for ${method} ${template} in:\n${findings.map((f) => `${f.severity} ${f.kind} ${f.method} ${f.template}: ${f.title}`).join('\n')}`);
  return found[0]!;
}

function none(findings: readonly Finding[], method: string, template: string, kind?: Finding['kind']): void {
  const found = findings.filter((f) => f.method === method && f.template === template && (kind === undefined || f.kind === kind));
  assert.deepEqual(found.map((f) => `${f.kind}: ${f.title}`), []);
}

/** The reference incident: an account-status lookup by phone number, answered to anyone. */
const lookup = makeEndpoint({
  method: 'GET',
  template: '/v2/accounts/status/{phone}',
  operationId: 'accountStatus',
  count: 1000,
  statuses: { '2xx': 950, '4xx': 50 },
  auth: { none: 900, apikey: 100 },
  clients: 4200,
  dataClasses: {
    phone: dataClass({ request: 1000, response: 950, unauthenticatedResponse: 860, paths: ['path', 'phone'], examples: ['+1415•••2671'] }),
    email: dataClass({ response: 400, unauthenticatedResponse: 350, paths: ['email'], examples: ['j•••@example.com'] }),
  },
  responseShapes: {
    '200': mergeShapes(
      shapeOf({ id: 1, status: 'active', devices: 2, phone: '+14155552671', email: 'jane@example.com' }),
      shapeOf({ id: 2, status: 'locked', devices: 1, phone: '+14155550000' }),
    ),
  },
  learned: learned('/v2/accounts/status/{phone}', { phone: { shape: 'phone', examples: ['+14155552671', '+14155550000'], distinct: 30_000 } }),
});

const inventory: InventoryEndpoint[] = [
  lookup,
  // documented, more specific than the document (a static value where it has a parameter)
  makeEndpoint({ method: 'GET', template: '/v2/accounts/ACME', learned: learned('/v2/accounts/ACME') }),
  makeEndpoint({
    method: 'GET', template: '/v2/accounts/{accountId}', operationId: 'getAccount',
    statuses: { '2xx': 90, '4xx': 10 },
    responseShapes: { '200': shapeOf({ id: 1, status: 'active' }), '404': shapeOf({ title: 'not found', status: 404 }) },
  }),
  // shadows
  makeEndpoint({
    method: 'GET', template: '/v2/internal/export', statuses: { '2xx': 40 }, count: 40, auth: { none: 40 },
    dataClasses: { ip: dataClass({ response: 40, unauthenticatedResponse: 40, paths: ['rows[].ip'] }) },
  }),
  makeEndpoint({ method: 'GET', template: '/v2/admin/stats', statuses: { '2xx': 20 }, count: 20 }),
  makeEndpoint({ method: 'GET', template: '/v2/wp-login.php', statuses: { '4xx': 30 }, count: 30, auth: { none: 30 } }),
  // zombies
  makeEndpoint({
    method: 'GET', template: '/v2/users/{userId}', lastSeen: Date.UTC(2024, 6, 20),
    learned: learned('/v2/users/{userId}', { userId: { shape: 'integer', examples: ['8123', '9001'], distinct: 500 } }),
  }),
  makeEndpoint({ method: 'GET', template: '/v2/legacy/{id}', statuses: { '4xx': 10 }, count: 10 }),
  makeEndpoint({ method: 'DELETE', template: '/v2/accounts/{accountId}', statuses: { '2xx': 5 }, count: 5 }),
  makeEndpoint({ method: 'GET', template: '/v1/accounts/{accountId}', statuses: { '2xx': 70 }, count: 70 }),
  makeEndpoint({ method: 'GET', template: '/internal/v0/ping', statuses: { '2xx': 70 }, count: 70 }),
  makeEndpoint({
    method: 'GET', template: '/v2/folders/{folderId}', deprecationHeaders: 12,
    statuses: { '2xx': 95, '4xx': 5 },
    responseShapes: { '200': shapeOf({ name: 'root', children: [{ name: 'a', extra: 1 }] }) },
  }),
  // drift
  makeEndpoint({
    method: 'GET', template: '/v2/search', operationId: 'search',
    statuses: { '2xx': 90, '5xx': 10 },
    query: { q: { string: 100 }, limit: { integer: 60 }, debug: { boolean: 3 }, api_key: { string: 100 } },
    responseShapes: {
      '200': shapeOf({ results: [{ id: 'a1', status: 'active' }], total: 1 }),
      '500': shapeOf({ error: 'boom' }),
    },
  }),
  makeEndpoint({ method: 'POST', template: '/v2/accounts', statuses: { '2xx': 100 }, responseShapes: { '200': shapeOf({ id: 3, status: 'active' }) } }),
  // documented in other ways
  makeEndpoint({ method: 'HEAD', template: '/v2/users/me' }),
  makeEndpoint({ method: 'UNKNOWN', template: '/v2/search' }),
  makeEndpoint({ method: 'OPTIONS', template: '/v2/search', auth: { none: 100 } }),
];

describe('diffInventory on the fixtures', async () => {
  const documents = await specs();
  const findings = diffInventory(inventory, documents, { retiredPrefixes: ['/internal'] });

  it('ranks the unauthenticated lookup first: a critical exposure, with the evidence of the breach', () => {
    const first = findings[0]!;
    assert.equal(first.kind, 'exposure');
    assert.equal(first.severity, 'critical');
    assert.equal(first.template, '/v2/accounts/status/{phone}');
    assert.equal(first.operationId, 'accountStatus');
    assert.equal(first.firstSeen, lookup.firstSeen);
    assert.equal(first.lastSeen, lookup.lastSeen);
    const e = first.evidence as Record<string, unknown>;
    assert.equal(e.requests, 1000);
    assert.equal(e.unauthenticated, 900);
    assert.equal(e.unauthenticatedShare, 0.9);
    assert.equal(e.clients, 4200);
    assert.deepEqual(e.identifiers, ['path {phone}', 'request phone']);
    const classes = e.classes as Record<string, { unauthenticatedResponses: number; examples: string[] }>;
    assert.deepEqual(Object.keys(classes), ['phone', 'email']);
    assert.equal(classes.phone!.unauthenticatedResponses, 860);
    assert.deepEqual(classes.phone!.examples, ['+1415•••2671']);
    // the example requests never carry the phone numbers as seen
    const requests = e.exampleRequests as string[];
    assert.equal(requests.length, 2);
    for (const r of requests) {
      assert.match(r, /^GET api\.example\.com\/v2\/accounts\/status\/\+1415•••\d{4}$/);
      assert.doesNotMatch(r, /5552671|5550000/);
    }
  });

  it('also reports the drift of the lookup: the phone and e-mail it answers are undocumented fields', () => {
    const drift = only(findings, 'drift', 'GET', '/v2/accounts/status/{phone}', ' 200 ');
    assert.equal(drift.severity, 'medium');
    assert.deepEqual((drift.evidence.items as Array<{ path: string; kind: string }>).map((i) => `${i.kind} ${i.path}`),
      ['undocumented-field email', 'undocumented-field phone']);
  });

  it('reports an undocumented endpoint answering 2xx without credentials as a high shadow, and its data as a high exposure', () => {
    const shadow = only(findings, 'shadow', 'GET', '/v2/internal/export');
    assert.equal(shadow.severity, 'high');
    assert.equal(shadow.operationId, null);
    // an IP address alone would be medium on a documented endpoint; undocumented makes it high
    const exposure = only(findings, 'exposure', 'GET', '/v2/internal/export');
    assert.equal(exposure.severity, 'high');
    assert.equal(exposure.evidence.documented, false);
  });

  it('uses the exact count of unauthenticated 2xx answers when the inventory has it', () => {
    const mixed = { method: 'GET', template: '/v2/mixed', auth: { none: 10, bearer: 90 }, statuses: { '2xx': 90, '4xx': 10 } };
    const severity = (extra: Partial<InventoryEndpoint>) =>
      diffInventory([makeEndpoint({ ...mixed, ...extra })], { current: documents.current }).find((f) => f.kind === 'shadow')?.severity;
    // the ten unauthenticated requests were the ten 401s
    assert.equal(severity({ unauthenticatedSuccess: 0 }), 'medium');
    assert.equal(severity({ unauthenticatedSuccess: 4 }), 'high');
    // without the count, both having happened is enough
    assert.equal(severity({}), 'high');
  });

  it('grades other shadows by whether they answer', () => {
    assert.equal(only(findings, 'shadow', 'GET', '/v2/admin/stats').severity, 'medium');
    assert.equal(only(findings, 'shadow', 'GET', '/v2/wp-login.php').severity, 'low');
  });

  it('matches a learned template more specific than the document (a static value under a documented parameter)', () => {
    none(findings, 'GET', '/v2/accounts/ACME');
  });

  it('finds a deprecated operation past its sunset still answering: a high zombie', () => {
    const zombie = only(findings, 'zombie', 'GET', '/v2/users/{userId}');
    assert.equal(zombie.severity, 'high');
    assert.deepEqual(zombie.evidence.reasons, ['deprecated', 'sunset-passed']);
    assert.equal(zombie.evidence.sunset, '2024-06-30');
    assert.equal(zombie.operationId, 'getUser');
    none(findings, 'GET', '/v2/users/{userId}', 'shadow');
  });

  it('finds a path deprecated as a whole (x-sunset on the path item); medium when it answers only errors', () => {
    const zombie = only(findings, 'zombie', 'GET', '/v2/legacy/{id}');
    assert.equal(zombie.severity, 'medium');
    assert.deepEqual(zombie.evidence.reasons, ['path-deprecated', 'sunset-passed']);
    assert.equal(zombie.evidence.sunset, '2023-12-31');
  });

  it('finds an operation removed since the previous document (parameter names differ)', () => {
    const zombie = only(findings, 'zombie', 'DELETE', '/v2/accounts/{accountId}');
    assert.equal(zombie.severity, 'high');
    assert.deepEqual(zombie.evidence.reasons, ['removed']);
    assert.equal(zombie.evidence.removedOperation, 'deleteAccount');
    assert.equal(zombie.evidence.previousTemplate, '/v2/accounts/{id}');
    none(findings, 'DELETE', '/v2/accounts/{accountId}', 'shadow');
  });

  it('finds a retired version, and names its successor', () => {
    const zombie = only(findings, 'zombie', 'GET', '/v1/accounts/{accountId}');
    assert.deepEqual(zombie.evidence.reasons, ['retired-version']);
    assert.equal(zombie.evidence.version, 'v1');
    assert.deepEqual(zombie.evidence.documentedVersions, ['v2']);
    assert.equal(zombie.evidence.successor, '/v2/accounts/{accountId}');
  });

  it('finds an endpoint under a retired prefix given as an option', () => {
    const zombie = only(findings, 'zombie', 'GET', '/internal/v0/ping');
    assert.deepEqual(zombie.evidence.reasons, ['retired-prefix']);
    assert.equal(zombie.evidence.retiredPrefix, '/internal');
  });

  it('finds an endpoint whose responses carry Deprecation / Sunset headers', () => {
    const zombie = only(findings, 'zombie', 'GET', '/v2/folders/{folderId}');
    assert.deepEqual(zombie.evidence.reasons, ['deprecation-headers']);
    assert.equal(zombie.evidence.deprecationHeaders, 12);
    assert.equal(zombie.evidence.documented, true);
  });

  it('honours 2XX ranges and default: no status drift for folders; the recursion point accepts anything', () => {
    none(findings, 'GET', '/v2/folders/{folderId}', 'drift');
  });

  it('honours 4XX for a 404 with a problem body; a documented subset of fields is no drift', () => {
    none(findings, 'GET', '/v2/accounts/{accountId}');
  });

  it('reports undocumented query parameters, but not an API key the document reads from the query', () => {
    const drift = only(findings, 'drift', 'GET', '/v2/search', 'query');
    assert.equal(drift.severity, 'low');
    assert.deepEqual(drift.evidence.items, [{ path: 'query.debug', kind: 'undocumented-field', observed: 'boolean' }]);
  });

  it('reports an undocumented class of statuses when no code of it was sampled', () => {
    const drift = only(findings, 'drift', 'GET', '/v2/accounts/status/{phone}', 'statuses');
    assert.equal(drift.severity, 'low');
    assert.deepEqual(drift.evidence.undocumented, [{ status: '4xx', count: 50 }]);
  });

  it('reports an undocumented 500 as medium status drift', () => {
    const drift = only(findings, 'drift', 'GET', '/v2/search', 'statuses');
    assert.equal(drift.severity, 'medium');
    assert.deepEqual(drift.evidence.undocumented, [{ status: '500', count: null }]);
  });

  it('reports a type mismatch in a response as low drift', () => {
    const drift = only(findings, 'drift', 'GET', '/v2/search', ' 200 ');
    assert.equal(drift.severity, 'low');
    assert.deepEqual(drift.evidence.items, [{ path: 'results[].id', kind: 'type-mismatch', documented: 'integer', observed: 'string' }]);
  });

  it('reports a 200 where only 201 is documented', () => {
    const drift = only(findings, 'drift', 'POST', '/v2/accounts');
    assert.equal(drift.severity, 'low');
    assert.deepEqual(drift.evidence.undocumented, [{ status: '200', count: null }]);
    assert.deepEqual(drift.evidence.documented, ['201']);
  });

  it('takes HEAD as GET, an unknown method on a documented path, and a CORS preflight as documented', () => {
    none(findings, 'HEAD', '/v2/users/me');
    none(findings, 'UNKNOWN', '/v2/search');
    none(findings, 'OPTIONS', '/v2/search');
  });

  it('reports the one operation never observed as an orphan, low in a mature inventory', () => {
    const orphans = findings.filter((f) => f.kind === 'orphan');
    assert.deepEqual(orphans.map((f) => `${f.method} ${f.template}`), ['GET /v2/reports/{reportId}']);
    assert.equal(orphans[0]!.severity, 'low');
    assert.equal(orphans[0]!.operationId, 'getReport');
    assert.equal(orphans[0]!.firstSeen, null);
  });

  it('sorts by severity, exposures first among equals', () => {
    const ranks = findings.map((f) => ['critical', 'high', 'medium', 'low', 'info'].indexOf(f.severity));
    assert.deepEqual(ranks, [...ranks].sort((a, b) => a - b));
    const highs = findings.filter((f) => f.severity === 'high');
    assert.equal(highs[0]!.kind, 'exposure');
  });

  it('gives stable, distinct ids', () => {
    const again = diffInventory(inventory, documents, { retiredPrefixes: ['/internal'] });
    assert.deepEqual(again.map((f) => f.id), findings.map((f) => f.id));
    assert.equal(new Set(findings.map((f) => f.id)).size, findings.length);
    // counts change, ids do not
    const busier = diffInventory([{ ...lookup, count: 5000 }], documents);
    assert.equal(busier.find((f) => f.kind === 'exposure')!.id, findings[0]!.id);
  });
});

describe('diffInventory: orphans and the age of the inventory', async () => {
  const documents = await specs();

  it('makes orphans info while the inventory is young (days or requests), low once it is mature', () => {
    const recent = [makeEndpoint({ method: 'GET', template: '/v2/users/me', count: 5000, firstSeen: T0, lastSeen: T0 + DAY })];
    const orphanSeverities = (endpoints: InventoryEndpoint[], options = {}) =>
      new Set(diffInventory(endpoints, documents, options).filter((f) => f.kind === 'orphan').map((f) => f.severity));
    assert.deepEqual(orphanSeverities(recent), new Set(['info']));
    const fewRequests = [makeEndpoint({ method: 'GET', template: '/v2/users/me', count: 50 })];
    assert.deepEqual(orphanSeverities(fewRequests), new Set(['info']));
    // the caller knows better: observed since long before the first endpoint, with many requests
    assert.ok(orphanSeverities(recent, { observation: { since: T0 - 60 * DAY, requests: 1e6 } }).has('low'));
  });

  it('makes a deprecated orphan info: unused and marked for removal, the good case', () => {
    const mature = [makeEndpoint({ method: 'GET', template: '/v2/users/me', count: 5000 })];
    const orphan = diffInventory(mature, documents).find((f) => f.template === '/v2/users/{userId}');
    assert.equal(orphan?.kind, 'orphan');
    assert.equal(orphan.severity, 'info');
    assert.equal(orphan.evidence.deprecated, true);
  });

  it('reports every operation as an orphan for an empty inventory, all info', () => {
    const findings = diffInventory([], documents);
    assert.equal(findings.length, documents.current[0]!.operations.length);
    assert.ok(findings.every((f) => f.kind === 'orphan' && f.severity === 'info'));
  });
});

describe('diffInventory: learned templates against documented ones', () => {
  const files = { current: [documentOf(['GET /files/a.pdf', 'GET /files/b.pdf', 'GET /users/{id}'])] };

  it('matches a more generic learned template when every value seen is a documented path', () => {
    const endpoint = makeEndpoint({
      method: 'GET', template: '/files/{name}',
      learned: learned('/files/{name}', { name: { shape: 'word', examples: ['a.pdf', 'b.pdf'] } }),
    });
    const findings = diffInventory([endpoint], files);
    none(findings, 'GET', '/files/{name}');
    assert.ok(!findings.some((f) => f.kind === 'orphan' && f.template.startsWith('/files/')));
  });

  it('reports it as a shadow that covers the documented paths when other values were seen', () => {
    const endpoint = makeEndpoint({
      method: 'GET', template: '/files/{name}',
      learned: learned('/files/{name}', { name: { shape: 'word', examples: ['a.pdf', 'secret.pdf'] } }),
    });
    const findings = diffInventory([endpoint], files);
    const shadow = only(findings, 'shadow', 'GET', '/files/{name}');
    assert.deepEqual(shadow.evidence.covers, ['GET /files/a.pdf', 'GET /files/b.pdf']);
    // the covered operations may have been called: not orphans
    assert.ok(!findings.some((f) => f.kind === 'orphan' && f.template.startsWith('/files/')));
  });

  it('cannot conclude from a handful of examples when more values were seen', () => {
    const endpoint = makeEndpoint({
      method: 'GET', template: '/files/{name}',
      learned: learned('/files/{name}', { name: { shape: 'word', examples: ['a.pdf', 'b.pdf'], distinct: 40 } }),
    });
    assert.equal(diffInventory([endpoint], files).filter((f) => f.kind === 'shadow').length, 1);
  });

  it('erases parameter names, decodes static text, and ignores a trailing slash', () => {
    assert.equal(templateKey('/users/{userId}'), templateKey('/users/{id}'));
    assert.equal(templateKey('/files/a%20b'), templateKey('/files/a b'));
    assert.equal(templateKey('/users/'), templateKey('/users'));
    // an encoded brace stays text, never a parameter
    assert.notEqual(templateKey('/users/%7Bid%7D'), templateKey('/users/{id}'));
    const endpoint = makeEndpoint({ method: 'GET', template: '/users/{userId}' });
    assert.deepEqual(diffInventory([endpoint], { current: [documentOf(['GET /users/{id}'])] }), []);
  });

  it('trusts the operationId the gateway recorded when the template differs', () => {
    const endpoint = makeEndpoint({ method: 'GET', template: '/renamed/{x}', operationId: 'GET /users/{id}' });
    assert.deepEqual(diffInventory([endpoint], { current: [documentOf(['GET /users/{id}'])] }), []);
  });

  it('treats a newer version than documented as a shadow, not a zombie', () => {
    const endpoint = makeEndpoint({ method: 'GET', template: '/v3/users/{id}' });
    const findings = diffInventory([endpoint], { current: [documentOf(['GET /v2/users/{id}'])] });
    only(findings, 'shadow', 'GET', '/v3/users/{id}');
  });
});

describe('diffInventory: exposure severities', () => {
  const docs = { current: [documentOf(['GET /profile', 'GET /lookup', 'GET /accounts/{id}'])] };
  const exposed = (endpoint: InventoryEndpoint): Finding | undefined =>
    diffInventory([endpoint], docs).find((f) => f.kind === 'exposure');

  it('is high for personal data without a caller-supplied identifier', () => {
    const f = exposed(makeEndpoint({
      method: 'GET', template: '/profile', auth: { none: 10, bearer: 90 },
      dataClasses: { email: dataClass({ response: 10, unauthenticatedResponse: 10 }) },
    }));
    assert.equal(f?.severity, 'high');
  });

  it('is critical when an id-like query parameter picks the record', () => {
    const f = exposed(makeEndpoint({
      method: 'GET', template: '/lookup', auth: { none: 10 }, query: { msisdn: { string: 10 } },
      dataClasses: { 'national-id': dataClass({ response: 10, unauthenticatedResponse: 10 }) },
    }));
    assert.equal(f?.severity, 'critical');
    assert.deepEqual(f.evidence.identifiers, ['query msisdn']);
  });

  it('is critical for a lookup by phone number answered without credentials, even when the answer holds no phone', () => {
    const f = exposed(makeEndpoint({
      method: 'GET', template: '/phones/{phone}/status', auth: { none: 40 }, statuses: { '2xx': 12, '4xx': 28 },
      dataClasses: { phone: dataClass({ request: 40, response: 0, unauthenticatedResponse: 0, unauthenticatedLookup: 12 }) },
    }));
    assert.equal(f?.severity, 'critical');
    assert.match(f.title, /answers lookups by phone to unauthenticated callers/);
    assert.deepEqual(Object.keys(f.evidence.lookups as object), ['phone']);
  });

  it('does not call a lookup by an IP address an exposure, nor a lookup that needed credentials', () => {
    assert.equal(exposed(makeEndpoint({
      method: 'GET', template: '/geo/{ip}', auth: { none: 40 },
      dataClasses: { ip: dataClass({ request: 40, response: 0, unauthenticatedResponse: 0, unauthenticatedLookup: 40 }) },
    })), undefined);
    assert.equal(exposed(makeEndpoint({
      method: 'GET', template: '/phones/{phone}/status', auth: { bearer: 40 },
      dataClasses: { phone: dataClass({ request: 40, response: 0, unauthenticatedResponse: 0, unauthenticatedLookup: 0 }) },
    })), undefined);
  });

  it('is medium for an IP address on a documented endpoint', () => {
    const f = exposed(makeEndpoint({
      method: 'GET', template: '/accounts/{id}', auth: { none: 10 },
      dataClasses: { ip: dataClass({ response: 10, unauthenticatedResponse: 10 }) },
    }));
    assert.equal(f?.severity, 'medium');
  });

  it('is absent when every request authenticated, or no unauthenticated answer held the data', () => {
    assert.equal(exposed(makeEndpoint({
      method: 'GET', template: '/accounts/{id}', auth: { bearer: 10 },
      dataClasses: { phone: dataClass({ response: 10 }) },
    })), undefined);
    assert.equal(exposed(makeEndpoint({
      method: 'GET', template: '/accounts/{id}', auth: { none: 3, bearer: 7 },
      dataClasses: { phone: dataClass({ response: 7, unauthenticatedResponse: 0 }) },
    })), undefined);
  });
});

describe('diffInventory: injected shape diff', () => {
  it('calls the given diffShapes with the documented schema and the observed shape', async () => {
    const documents = await specs();
    const calls: Array<[unknown, unknown]> = [];
    const shape = shapeOf({ id: 1, status: 'active' });
    const findings = diffInventory(
      [makeEndpoint({ method: 'GET', template: '/v2/accounts/{accountId}', responseShapes: { '200': shape } })],
      documents,
      { diffShapes: (schema, observed) => { calls.push([schema, observed]); return [{ path: 'x', kind: 'type-mismatch', documented: 'a', observed: 'b' }]; } },
    );
    assert.equal(calls.length, 1);
    assert.deepEqual((calls[0]![0] as { required: string[] }).required, ['id', 'status']);
    assert.equal(calls[0]![1], shape);
    assert.equal(findings.filter((f) => f.kind === 'drift').length, 1);
  });
});

describe('maskExample', () => {
  it('masks values of a data class by its convention, and any other value too', () => {
    assert.equal(maskExample('+14155552671'), '+1415•••2671');
    assert.equal(maskExample('jane@example.com'), 'j•••@example.com');
    assert.equal(maskExample('8123'), '•••');
    assert.equal(maskExample('cus_9s6XKzkNRiz8i3'), 'cu•••i3');
  });
});
