import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createPathTemplater } from './templater.ts';
import type { PathTemplater } from './templater.ts';
import { seededRandom } from './test-random.ts';


const SYLLABLES = ['ka', 'lo', 'mi', 'ten', 'su', 'ra', 'vel', 'no', 'chi', 'pa', 'dor', 'en', 'li', 'ma', 'ro', 'sa', 'ti', 'ber', 'gan', 'hu', 'jo', 'kel', 'mon', 'nar'];

/** words people build names from ('amber-birch', 'jade.kelp') */
const NAME_PARTS = ['amber', 'birch', 'cedar', 'delta', 'ember', 'fern', 'grove', 'harbor', 'jade', 'kelp', 'lotus', 'maple', 'nova', 'onyx', 'pine', 'quill'];

/** pronounceable names ('kalomi', 'tensu-rano'): parameter values that look like words */
function names(count: number, random: () => number): string[] {
  const out = new Set<string>();
  while (out.size < count) {
    let name = '';
    const parts = 2 + Math.floor(random() * 3);
    for (let i = 0; i < parts; i++) name += SYLLABLES[Math.floor(random() * SYLLABLES.length)];
    if (random() < 0.3) name += '-' + SYLLABLES[Math.floor(random() * SYLLABLES.length)] + SYLLABLES[Math.floor(random() * SYLLABLES.length)];
    out.add(name);
  }
  return [...out];
}

/** '/users/{userId}' → '/users/{}' */
function pick<T>(values: readonly T[], random: () => number): T {
  return values[Math.floor(random() * values.length)] as T;
}

function normal(template: string): string {
  return template.replace(/\{[^{}]*\}/g, '{}');
}

function templateSet(templater: PathTemplater): Set<string> {
  return new Set(templater.templates().map((t) => normal(t.template)));
}

/** index drawn with weights 1/k (Zipf): a few endpoints get most requests */
function zipfIndex(n: number, random: () => number): number {
  let total = 0;
  for (let k = 1; k <= n; k++) total += 1 / k;
  let u = random() * total;
  for (let k = 1; k <= n; k++) {
    u -= 1 / k;
    if (u <= 0) return k - 1;
  }
  return n - 1;
}

describe('createPathTemplater: growing traffic', () => {
  it('learns /users/{userId} beside /users/me, and /issues/{id} once short integers vary, at 1, 5, 50 and 500 requests', () => {
    const random = seededRandom(1);
    const templater = createPathTemplater();
    const requests: string[] = [];
    for (let i = 0; i < 500; i++) {
      if (i % 4 === 0) requests.push('/users/me');
      else if (i % 4 === 1) requests.push(`/issues/${1 + Math.floor(random() * 99)}`);
      else requests.push(`/users/${10_000 + Math.floor(random() * 90_000)}`);
    }
    const seen: Record<number, string[]> = {};
    let fed = 0;
    for (const upTo of [1, 5, 50, 500]) {
      for (; fed < upTo; fed++) templater.observe('GET', 'api.example.com', requests[fed] as string);
      seen[upTo] = [...templateSet(templater)].sort();
    }
    assert.deepEqual(seen[1], ['/users/me']);
    // one short integer so far: it might be a version ('/2/tweets'), so it stays
    assert.equal(seen[5]?.length, 3);
    assert.match(seen[5]?.[0] ?? '', /^\/issues\/\d{1,2}$/);
    assert.deepEqual(seen[5]?.slice(1), ['/users/me', '/users/{}']);
    assert.deepEqual(seen[50], ['/issues/{}', '/users/me', '/users/{}']);
    assert.deepEqual(seen[500], ['/issues/{}', '/users/me', '/users/{}']);
    assert.equal(templater.match('GET', 'api.example.com', '/users/31337').template, '/users/{userId}');
    assert.equal(templater.match('GET', 'api.example.com', '/users/me').template, '/users/me');
  });

  it('keeps /users/me static beside /users/{username} when the usernames are words, from its own sub-resources', () => {
    const random = seededRandom(2);
    const users = names(3000, random);
    const templater = createPathTemplater();
    for (let i = 0; i < 2000; i++) {
      const user = users[Math.floor(random() * users.length)] as string;
      const roll = random();
      if (roll < 0.15) templater.observe('GET', '', '/users/me');
      else if (roll < 0.3) templater.observe('GET', '', '/users/me/settings');
      else if (roll < 0.65) templater.observe('GET', '', `/users/${user}`);
      else templater.observe('GET', '', `/users/${user}/repos`);
    }
    assert.deepEqual([...templateSet(templater)].sort(), ['/users/me', '/users/me/settings', '/users/{}', '/users/{}/repos']);
  });
});

describe('createPathTemplater: RPC, collections, nested names', () => {
  it('keeps ~170 Slack-style method names under /api static when each is called repeatedly', () => {
    const random = seededRandom(3);
    const namespaces = ['chat', 'users', 'conversations', 'files', 'reactions', 'reminders', 'team', 'usergroups', 'views', 'admin.users', 'admin.conversations', 'apps', 'auth', 'bots', 'calls', 'dnd', 'emoji', 'pins', 'stars', 'search'];
    const verbs = ['list', 'info', 'create', 'delete', 'update', 'postMessage', 'history', 'setTopic', 'invite', 'kick', 'archive', 'rename', 'add', 'remove', 'get', 'set', 'open', 'close', 'join', 'leave'];
    const methods = new Set<string>();
    while (methods.size < 170) methods.add(`${namespaces[Math.floor(random() * namespaces.length)]}.${verbs[Math.floor(random() * verbs.length)]}`);
    const list = [...methods];
    const templater = createPathTemplater();
    const called = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      const method = list[zipfIndex(list.length, random)] as string;
      called.add(method);
      templater.observe('POST', 'slack.com', `/api/${method}`);
      if (i === 1999) assert.ok([...templateSet(templater)].every((t) => !t.includes('{')), 'a parameter after 2,000 requests');
    }
    const templates = templateSet(templater);
    assert.equal(templates.size, called.size);
    for (const method of called) assert.ok(templates.has(`/api/${method}`), method);
  });

  it('keeps Stripe-style collections under /v1 static, with /v1/customers/{customerId} from prefixed ids', () => {
    const random = seededRandom(4);
    const collections = ['customers', 'charges', 'invoices', 'payment_intents', 'payment_methods', 'refunds', 'subscriptions', 'products', 'prices', 'coupons', 'disputes', 'payouts', 'transfers', 'balance_transactions', 'setup_intents', 'sources', 'tokens', 'plans', 'events', 'files'];
    const templater = createPathTemplater();
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
    for (let i = 0; i < 20_000; i++) {
      const collection = collections[zipfIndex(collections.length, random)] as string;
      let id = collection.slice(0, 3) + '_';
      for (let k = 0; k < 14; k++) id += alphabet[Math.floor(random() * alphabet.length)];
      const roll = random();
      if (roll < 0.3) templater.observe('GET', 'api.stripe.com', `/v1/${collection}`);
      else if (roll < 0.9) templater.observe('GET', 'api.stripe.com', `/v1/${collection}/${id}`);
      else if (collection === 'invoices') templater.observe('GET', 'api.stripe.com', '/v1/invoices/upcoming');
      else templater.observe('POST', 'api.stripe.com', `/v1/${collection}/${id}/cancel`);
    }
    const templates = templateSet(templater);
    for (const t of templates) assert.ok(t.startsWith('/v1/') && !t.startsWith('/v1/{'), t);
    assert.ok(templates.has('/v1/customers'));
    assert.ok(templates.has('/v1/customers/{}'));
    assert.ok(templates.has('/v1/invoices/upcoming'));
    assert.equal(templater.match('GET', 'api.stripe.com', '/v1/customers/cus_9s6XKzkNRiz8i3').template, '/v1/customers/{customerId}');
  });

  it('learns GitHub-style /repos/{owner}/{repo}/issues/{number} from many owners and repositories', () => {
    const random = seededRandom(5);
    const owners = names(5000, random);
    const repos = names(5000, random);
    const templater = createPathTemplater();
    for (let i = 0; i < 5000; i++) {
      const base = `/repos/${owners[Math.floor(random() * owners.length)]}/${repos[Math.floor(random() * repos.length)]}`;
      const roll = random();
      if (roll < 0.2) templater.observe('GET', '', base);
      else if (roll < 0.4) templater.observe('GET', '', `${base}/issues`);
      else if (roll < 0.7) templater.observe('GET', '', `${base}/issues/${1 + Math.floor(random() * 5000)}`);
      else if (roll < 0.85) templater.observe('GET', '', `${base}/pulls/${1 + Math.floor(random() * 5000)}`);
      else templater.observe('GET', '', `${base}/issues/${1 + Math.floor(random() * 5000)}/comments`);
    }
    assert.deepEqual([...templateSet(templater)].sort(), ['/repos/{}/{}', '/repos/{}/{}/issues', '/repos/{}/{}/issues/{}', '/repos/{}/{}/issues/{}/comments', '/repos/{}/{}/pulls/{}']);
    assert.equal(templater.match('GET', '', '/repos/octocat/hello-world/issues/42').template, '/repos/{repoId}/{id}/issues/{issueId}');
    assert.ok(templater.stats().nodes < 30, `${templater.stats().nodes} nodes`);
  });
});

describe('createPathTemplater: splitting back', () => {
  it('splits static words back out of a parameter when later traffic shows a few of them recurring with their own subtrees', () => {
    const random = seededRandom(6);
    const early = names(40, random);
    const templater = createPathTemplater();
    // early on, /api/… looks like identifiers: each value once
    for (const name of early) templater.observe('GET', '', `/api/${name}`);
    assert.deepEqual([...templateSet(templater)], ['/api/{}']);
    // then a small set of words, each heavily used, each with its own sub-resources
    const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo'];
    for (let i = 0; i < 1000; i++) {
      const k = i % words.length;
      templater.observe('GET', '', `/api/${words[k]}/${['one', 'two', 'three', 'four', 'five'][k]}`);
    }
    const templates = templateSet(templater);
    for (const [k, word] of words.entries()) assert.ok(templates.has(`/api/${word}/${['one', 'two', 'three', 'four', 'five'][k]}`), `${word} in ${[...templates].join(' ')}`);
    assert.ok(![...templates].some((t) => t.startsWith('/api/{}/')), [...templates].join(' '));
    assert.equal(templater.match('GET', '', '/api/alpha/one').template, '/api/alpha/one');
  });

  it('splits a whole vocabulary back when its words, taken for identifiers early, keep recurring', () => {
    const random = seededRandom(7);
    const methods = names(60, random);
    const templater = createPathTemplater();
    // the first requests all differ: the position looks like a parameter
    for (const method of methods.slice(0, 30)) templater.observe('POST', '', `/rpc/${method}`);
    assert.ok(templateSet(templater).has('/rpc/{}'));
    for (let i = 0; i < 6000; i++) templater.observe('POST', '', `/rpc/${methods[zipfIndex(methods.length, random)]}`);
    const templates = templateSet(templater);
    assert.ok(![...templates].some((t) => t.includes('{')), [...templates].slice(0, 5).join(' '));
    assert.ok(templates.size >= 55, `${templates.size} templates`);
  });
});

describe('createPathTemplater: hosts and segments', () => {
  it('templates the leftmost host label when many tenants share the rest', () => {
    const random = seededRandom(8);
    const tenants = names(400, random);
    const templater = createPathTemplater();
    for (let i = 0; i < 2000; i++) templater.observe('GET', `${tenants[Math.floor(random() * tenants.length)]}.api.example.com`, '/v1/items');
    for (let i = 0; i < 50; i++) templater.observe('GET', 'status.example.org', '/health');
    const seen = templater.templates().map((t) => `${t.host} ${t.template}`).sort();
    assert.deepEqual(seen, ['status.example.org /health', '{tenant}.api.example.com /v1/items']);
    const [tenant] = templater.templates().filter((t) => t.host.startsWith('{'));
    assert.equal(tenant?.params[0]?.name, 'tenant');
    assert.equal(tenant?.params[0]?.segment, -1);
  });

  it('keeps hosts as they are with templateHosts: false', () => {
    const templater = createPathTemplater({ templateHosts: false });
    for (let i = 0; i < 100; i++) templater.observe('GET', `t${i}x.api.example.com`, '/v1/items');
    assert.equal(templater.templates().length, 100);
    assert.equal(templater.match('GET', 't7x.api.example.com', '/v1/items').host, 't7x.api.example.com');
  });

  it('puts parameters inside a segment: {id}.json, report.{ext}', () => {
    const templater = createPathTemplater();
    for (let i = 0; i < 50; i++) {
      const id = crypto.randomUUID();
      templater.observe('GET', '', `/files/${id}.json`);
      templater.observe('GET', '', `/files/${id}`);
      templater.observe('GET', '', `/orders/${100_000 + i}.xml`);
    }
    for (const ext of ['json', 'csv', 'xml', 'pdf']) for (let i = 0; i < 5; i++) templater.observe('GET', '', `/exports/report.${ext}`);
    assert.deepEqual([...templateSet(templater)].sort(), ['/exports/report.{}', '/files/{}', '/files/{}.json', '/orders/{}.xml']);
    assert.equal(templater.match('GET', '', '/orders/123456.xml').template, '/orders/{orderId}.xml');
    assert.equal(templater.match('GET', '', '/exports/report.csv').template, '/exports/report.{exportId}');
  });

  it('drops a trailing slash, keeps empty inner segments, and reads a path without a leading slash as if it had one', () => {
    const templater = createPathTemplater();
    templater.observe('GET', '', '/users/');
    templater.observe('GET', '', '/users');
    templater.observe('GET', '', '/a//b');
    templater.observe('GET', '', '/');
    templater.observe('GET', '', '');
    assert.deepEqual([...templateSet(templater)].sort(), ['/', '/a//b', '/users']);
    assert.equal(templater.templates().find((t) => t.template === '/users')?.count, 2);
    assert.equal(templater.match('GET', '', 'users').template, '/users');
  });

  it('keeps static parts percent-encoded as received and classifies the decoded value', () => {
    const templater = createPathTemplater();
    templater.observe('GET', '', '/files/caf%C3%A9');
    for (let i = 0; i < 20; i++) templater.observe('GET', '', `/people/${encodeURIComponent(`p${i}x@example.com`)}`);
    assert.ok(templateSet(templater).has('/files/caf%C3%A9'));
    assert.ok(templateSet(templater).has('/people/{}'));
    const people = templater.templates().find((t) => t.template.startsWith('/people/'));
    assert.deepEqual(Object.keys(people?.params[0]?.shapes ?? {}), ['email']);
  });
});

describe('createPathTemplater: names and evidence', () => {
  it('names parameters from the segment before them, never twice the same in one template', () => {
    const templater = createPathTemplater();
    for (let i = 0; i < 20; i++) {
      templater.observe('GET', '', `/orders/${100_000 + i}`);
      templater.observe('GET', '', `/categories/${100_000 + i}/items/${crypto.randomUUID()}`);
      templater.observe('GET', '', `/payment_intents/pi_${'x'.repeat(4)}${100_000 + i}Abc`);
      templater.observe('GET', '', `/users/${100_000 + i}/users/${200_000 + i}`);
      templater.observe('GET', '', `/v2/${100_000 + i}`);
    }
    const templates = templater.templates().map((t) => t.template).sort();
    assert.deepEqual(templates, [
      '/categories/{categoryId}/items/{itemId}',
      '/orders/{orderId}',
      '/payment_intents/{paymentIntentId}',
      '/users/{userId}/users/{param2}',
      '/v2/{id}',
    ]);
  });

  it('carries evidence: counts, methods, distinct values, shapes, a few examples, a confidence', () => {
    const templater = createPathTemplater();
    for (let i = 0; i < 300; i++) templater.observe(i % 3 === 0 ? 'DELETE' : 'GET', '', `/orders/${100_000 + (i % 150)}`);
    templater.observe('GET', '', '/health');
    const orders = templater.templates().find((t) => t.template === '/orders/{orderId}');
    assert.ok(orders !== undefined);
    assert.equal(orders.count, 300);
    assert.deepEqual(orders.methods, { GET: 200, DELETE: 100 });
    assert.equal(orders.params.length, 1);
    const [param] = orders.params;
    assert.equal(param?.segment, 1);
    assert.ok(Math.abs((param?.distinct ?? 0) - 150) <= 15, `${param?.distinct} distinct`);
    assert.deepEqual(param?.shapes, { integer: 300 });
    assert.ok((param?.examples.length ?? 0) > 0 && (param?.examples.length ?? 0) <= 5);
    assert.ok(orders.confidence > 0.9 && orders.confidence <= 1);
    assert.equal(templater.templates().find((t) => t.template === '/health')?.confidence, 1);
  });

  it('is less sure of a parameter made of a few words than of one made of ids', () => {
    const random = seededRandom(9);
    const templater = createPathTemplater();
    for (const name of names(12, random)) templater.observe('GET', '', `/teams/${name}`);
    for (let i = 0; i < 12; i++) templater.observe('GET', '', `/orders/${crypto.randomUUID()}`);
    const teams = templater.templates().find((t) => t.template.startsWith('/teams/{'));
    const orders = templater.templates().find((t) => t.template.startsWith('/orders/{'));
    assert.ok(teams !== undefined && orders !== undefined);
    assert.ok(teams.confidence < orders.confidence, `${teams.confidence} vs ${orders.confidence}`);
  });
});

describe('createPathTemplater: memory', () => {
  it('keeps the tree bounded over a million distinct ids and 200,000 distinct words', () => {
    const random = seededRandom(10);
    const templater = createPathTemplater();
    for (let i = 0; i < 1_000_000; i++) templater.observe('GET', 'api.example.com', `/items/${1_000_000 + i}/parts`);
    const syllables = SYLLABLES;
    for (let i = 0; i < 200_000; i++) {
      let word = '';
      for (let k = 0; k < 4; k++) word += syllables[Math.floor(random() * syllables.length)];
      templater.observe('GET', 'api.example.com', `/tags/${word}${i}x/posts`);
    }
    const stats = templater.stats();
    assert.ok(stats.nodes < 20, `${stats.nodes} nodes`);
    assert.ok(stats.trackedValues <= 256 * stats.params, `${stats.trackedValues} tracked values`);
    assert.deepEqual([...templateSet(templater)].sort(), ['/items/{}/parts', '/tags/{}/posts']);
  });

  it('caps the static children of one node (maxChildren) when nothing else merges them', () => {
    const templater = createPathTemplater({ maxChildren: 50 });
    // words that each recur: no statistics would call them identifiers
    for (let round = 0; round < 3; round++) for (let i = 0; i < 300; i++) templater.observe('GET', '', `/w/word${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26))}`);
    assert.ok(templater.stats().nodes < 60, `${templater.stats().nodes} nodes`);
  });
});

/** does `template` (with its host) reproduce the request when its parameters take the request's values? */
function reproduces(template: string, path: string): boolean {
  let normalised = path.startsWith('/') ? path : '/' + path;
  if (normalised.length > 1 && normalised.endsWith('/')) normalised = normalised.slice(0, -1);
  const want = normalised.split('/');
  const have = template.split('/');
  if (want.length !== have.length) return false;
  return have.every((part, i) => {
    const segment = want[i] as string;
    const open = part.indexOf('{');
    if (open < 0) return part === segment;
    const close = part.lastIndexOf('}');
    const prefix = part.slice(0, open);
    const suffix = part.slice(close + 1);
    return segment.length > prefix.length + suffix.length && segment.startsWith(prefix) && segment.endsWith(suffix);
  });
}

describe('createPathTemplater: every observed path matches its own template', () => {
  const segment = fc.oneof(
    fc.constantFrom('users', 'orders', 'v1', 'v2', 'api', 'me', 'search', 'items', 'files', 'chat.postMessage', '2010-04-01', 'report.json', 'report.csv', '', '%20x'),
    fc.integer({ min: 0, max: 2_000_000 }).map(String),
    fc.uuid(),
    fc.stringMatching(/^[a-z]{2,10}$/),
    fc.stringMatching(/^[a-z]{3}_[A-Za-z0-9]{10,16}$/),
    fc.uuid().map((id) => `${id}.json`),
  );
  const path = fc.tuple(fc.array(segment, { minLength: 0, maxLength: 6 }), fc.boolean()).map(([parts, slash]) => '/' + parts.join('/') + (slash ? '/' : ''));
  const host = fc.constantFrom('', 'api.example.com', 'a.api.example.com', 'b.api.example.com', '10.0.0.1');

  it('holds for any traffic (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(host, path), { minLength: 1, maxLength: 120 }), fc.integer({ min: 1, max: 4 }), (traffic, repeat) => {
        const templater = createPathTemplater({ maxChildren: 40 });
        for (let r = 0; r < repeat; r++) for (const [h, p] of traffic) templater.observe('GET', h, p);
        for (const [h, p] of traffic) {
          const { template } = templater.match('GET', h, p);
          if (!reproduces(template, p)) return false;
        }
        return true;
      }),
      { numRuns: 300 },
    );
  });

  it('holds on traffic that makes the templater merge and split', () => {
    const random = seededRandom(11);
    const words = names(500, random);
    const statics = ['alpha', 'bravo', 'charlie'];
    const templater = createPathTemplater();
    const traffic: string[] = [];
    for (let i = 0; i < 5000; i++) {
      const roll = random();
      if (roll < 0.3) traffic.push(`/x/${words[Math.floor(random() * words.length)]}/y/${Math.floor(random() * 100)}`);
      else if (roll < 0.6) traffic.push(`/x/${statics[i % 3]}/${words[Math.floor(random() * 20)]}`);
      else if (roll < 0.8) traffic.push(`/z/${words[zipfIndex(40, random)]}`);
      else traffic.push(`/x/${crypto.randomUUID()}/y/${Math.floor(random() * 1e6)}`);
    }
    for (const p of traffic) templater.observe('GET', '', p);
    for (const p of traffic) assert.ok(reproduces(templater.match('GET', '', p).template, p), `${p} → ${templater.match('GET', '', p).template}`);
  });
});

describe('createPathTemplater: collections beside names at a version root', () => {
  it('keeps the collections it set aside to merge the names beside them (/v1beta1/beacons beside /v1beta1/{beaconName})', () => {
    const random = seededRandom(47);
    const parts = ['queue', 'pine', 'client', 'cherry', 'echo', 'gateway', 'slate', 'field', 'river', 'heron', 'stack', 'tulip', 'mesa', 'nebula'];
    const name = (): string => `${pick(parts, random)}${pick([' ', '_', '.', '-'], random)}${pick(parts, random)}${random() < 0.3 ? Math.floor(random() * 100) : ''}`;
    const templater = createPathTemplater();
    for (let i = 0; i < 400; i++) {
      const r = random();
      // a beacon's name, then maybe one of its sub-resources: names that share their children join a parameter early
      const beacon = `/v1beta1/${encodeURIComponent(name())}${pick(['', '', '/attachments', '/diagnostics'], random)}`;
      const path = r < 0.2 ? '/v1beta1/eidparams' : r < 0.3 ? '/v1beta1/beacons' : r < 0.35 ? '/v1beta1/namespaces' : r < 0.4 ? `/v1beta1/${encodeURIComponent(`beacons/${crypto.randomUUID()}`)}` : beacon;
      templater.observe('GET', 'beacons.local', path);
    }
    assert.deepEqual([...templateSet(templater)].sort(), ['/v1beta1/beacons', '/v1beta1/eidparams', '/v1beta1/namespaces', '/v1beta1/{}', '/v1beta1/{}/attachments', '/v1beta1/{}/diagnostics']);
  });

  it('merges names of many kinds at a version root, keeping the API\u2019s collections and their methods (/v1beta1/{beaconName}:deactivate)', () => {
    const random = seededRandom(48);
    const parts = ['queue', 'pine', 'client', 'cherry', 'echo', 'gateway', 'slate', 'field', 'river', 'heron', 'stack', 'tulip', 'mesa', 'nebula', 'Dawn', 'Star'];
    // names people gave their beacons: spaces, numbers, dots, underscores, capitals
    const name = (): string => (random() < 0.3 ? `${pick(parts, random)}-${Math.floor(random() * 100)}` : `${pick(parts, random)}${pick([' ', '_', '.', ''], random)}${pick(parts, random)}`);
    const templater = createPathTemplater();
    const collections = ['/v1beta1/eidparams', '/v1beta1/beacons', '/v1beta1/namespaces', '/v1beta1/beaconinfo:getforobserved', '/v1beta1/beacons:register'];
    for (let i = 0; i < 1500; i++) {
      const r = random();
      const path = r < 0.35
        ? collections[zipfIndex(collections.length, random)] as string
        : r < 0.45
          ? `/v1beta1/${encodeURIComponent(`beacons/3!${crypto.randomUUID().replace(/-/g, '')}`)}${pick(['', ':decommission'], random)}`
          : `/v1beta1/${encodeURIComponent(name())}${pick(['', '', ':deactivate', ':activate'], random)}`;
      templater.observe(path.endsWith('s') || path.includes('eid') ? 'GET' : pick(['GET', 'PUT', 'DELETE', 'POST'], random), 'beacons.local', path);
    }
    assert.deepEqual([...templateSet(templater)].sort(), [
      '/v1beta1/beaconinfo:getforobserved',
      '/v1beta1/beacons',
      '/v1beta1/beacons:register',
      '/v1beta1/eidparams',
      '/v1beta1/namespaces',
      '/v1beta1/{}',
      '/v1beta1/{}:activate',
      '/v1beta1/{}:deactivate',
      '/v1beta1/{}:decommission',
    ]);
  });
});

describe('createPathTemplater: static siblings and skewed values', () => {
  /** a value drawn with weight 1/(k+1) from a population (the head recurs) */
  function skewed(population: readonly string[], random: () => number): string {
    return population[zipfIndex(population.length, random)] as string;
  }

  it('merges the most requested value with the others, keeps a far heavier sibling static', () => {
    const random = seededRandom(21);
    const population = names(2000, random);
    const templater = createPathTemplater();
    for (let i = 0; i < 400; i++) {
      const roll = random();
      if (roll < 0.3) templater.observe('GET', '', '/user/codespaces/secrets');
      else {
        const sub = ['', '/stop', '/start', '/machines', '/exports'][Math.floor(random() * 5)] as string;
        templater.observe(random() < 0.5 ? 'GET' : 'DELETE', '', `/user/codespaces/${skewed(population, random)}${sub}`);
      }
    }
    const set = templateSet(templater);
    assert.ok(set.has('/user/codespaces/secrets'), [...set].join(' '));
    const literal = [...set].filter((t) => t.startsWith('/user/codespaces/') && !t.startsWith('/user/codespaces/{}') && t !== '/user/codespaces/secrets');
    assert.deepEqual(literal, []);
    assert.equal(normal(templater.match('GET', '', `/user/codespaces/${population[0]}`).template), '/user/codespaces/{}');
  });

  it('keeps an RPC method list used with a skew literal at low traffic', () => {
    const random = seededRandom(22);
    const namespaces = ['admin', 'apps', 'chat', 'conversations', 'files', 'users', 'team', 'reminders', 'usergroups', 'views'];
    const verbs = ['list', 'info', 'create', 'delete', 'update', 'archive', 'invite', 'setName', 'getPermalink', 'history', 'members', 'kick', 'open', 'close', 'rename', 'approve', 'restrict'];
    const methods = new Set<string>();
    while (methods.size < 170) methods.add(`${namespaces[Math.floor(random() * namespaces.length)]}.${verbs[Math.floor(random() * verbs.length)]}`);
    const list = [...methods];
    const templater = createPathTemplater();
    for (let i = 0; i < 340; i++) templater.observe('POST', '', `/api/${list[zipfIndex(list.length, random)]}`);
    assert.ok(![...templateSet(templater)].includes('/api/{}'), [...templateSet(templater)].slice(0, 10).join(' '));
  });

  it('splits a leaf that is only ever one method out of the parameter it was merged into (/secrets/public-key)', () => {
    const random = seededRandom(23);
    const population = names(3000, random).map((n) => n.toUpperCase().replace(/-/g, '_'));
    const templater = createPathTemplater();
    for (let i = 0; i < 3000; i++) {
      const roll = random();
      if (roll < 0.1) templater.observe('GET', '', '/orgs/acme/secrets/public-key');
      else {
        const method = ['GET', 'PUT', 'DELETE'][Math.floor(random() * 3)] as string;
        const sub = random() < 0.5 ? '/repositories' : '';
        templater.observe(method, '', `/orgs/acme/secrets/${skewed(population, random)}${sub}`);
      }
    }
    assert.equal(templater.match('GET', '', '/orgs/acme/secrets/public-key').template, '/orgs/acme/secrets/public-key');
    assert.equal(normal(templater.match('GET', '', `/orgs/acme/secrets/${population[0]}`).template), '/orgs/acme/secrets/{}');
  });

  it('lets a late enum value whose subtree fits the enum parameter join it, package names and all', () => {
    const random = seededRandom(24);
    const packages = names(2000, random);
    const types = ['npm', 'maven', 'nuget', 'container', 'pypi'];
    const templater = createPathTemplater();
    const paths: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const type = types[Math.floor(random() * types.length)] as string;
      const tail = ['', '/versions', '/restore'][Math.floor(random() * 3)] as string;
      paths.push(`/orgs/acme/packages/${type}/${skewed(packages, random)}${tail}`);
    }
    // a rarely used type, its names still literal below it when the others merge
    for (let i = 0; i < 12; i++) paths.splice(Math.floor(random() * paths.length), 0, `/orgs/acme/packages/docker/${packages[100 + i]}${i % 2 === 0 ? '/versions' : ''}`);
    for (const p of paths) templater.observe('GET', '', p);
    const set = templateSet(templater);
    assert.ok(set.has('/orgs/acme/packages/{}/{}/versions'), [...set].join(' '));
    assert.deepEqual([...set].filter((t) => /packages\/(docker|npm|maven|nuget|container|pypi)/.test(t)), []);
  });
});

describe('createPathTemplater: rarely requested positions judged on all their values', () => {
  const refs = ['fix-granite', 'release-1.19', 'v3.19.17', 'develop', 'main', 'moss7', 'Olive-Crystal', 'hotfix-2.1', 'feature-login', 'v2.0.1', 'staging', 'nina-atlas-worker'];
  const words = ['code-scanning', 'secret-scanning', 'dependabot', 'actions', 'pages', 'hooks', 'topics', 'forks', 'tags', 'traffic', 'stats', 'events'];

  it('takes a dozen names of mixed kinds, each seen twice, for a parameter (/tarball/{ref}), and keeps a vocabulary seen as often static', () => {
    const templater = createPathTemplater();
    // each twice in a row: too few new values for the counts alone
    for (let i = 0; i < refs.length; i++) {
      for (let round = 0; round < 2; round++) {
        templater.observe('GET', '', `/repos/acme/app/tarball/${refs[i]}`);
        templater.observe('GET', '', `/admin/tool/${words[i]}`);
      }
    }
    const set = templateSet(templater);
    assert.ok(set.has('/repos/acme/app/tarball/{}'), [...set].join(' '));
    assert.deepEqual([...set].filter((t) => t.startsWith('/repos/acme/app/tarball/') && t !== '/repos/acme/app/tarball/{}'), []);
    assert.ok(set.has('/admin/tool/code-scanning') && set.has('/admin/tool/events'), [...set].join(' '));
    assert.ok(!set.has('/admin/tool/{}'));
  });

  it('sends rarely seen versions beside a parameter of branch names to it (/zipball/v3.27.8)', () => {
    const random = seededRandom(31);
    const branches = names(500, random);
    const templater = createPathTemplater();
    for (let i = 0; i < 40; i++) templater.observe('GET', '', `/repos/acme/app/zipball/${branches[i]}`);
    assert.equal(normal(templater.match('GET', '', `/repos/acme/app/zipball/${branches[0]}`).template), '/repos/acme/app/zipball/{}');
    for (const version of ['v1.9.14', 'v3.25.7', 'v3.27.8']) templater.observe('GET', '', `/repos/acme/app/zipball/${version}`);
    assert.equal(normal(templater.match('GET', '', '/repos/acme/app/zipball/v3.25.7').template), '/repos/acme/app/zipball/{}');
    assert.deepEqual([...templateSet(templater)].filter((t) => t.includes('zipball/v')), []);
  });

  it('takes a plural among enum values with the same sub-resources for one of them (/packages/rubygems beside npm, maven)', () => {
    const random = seededRandom(33);
    const packages = names(2000, random);
    const types = ['npm', 'maven', 'nuget', 'container', 'docker', 'rubygems'];
    const templater = createPathTemplater();
    for (let i = 0; i < 3000; i++) {
      const type = types[Math.floor(random() * types.length)] as string;
      const tail = ['', '/versions', '/restore'][Math.floor(random() * 3)] as string;
      templater.observe('GET', '', `/orgs/acme/packages/${type}/${packages[zipfIndex(packages.length, random)]}${tail}`);
    }
    const set = templateSet(templater);
    assert.ok(set.has('/orgs/acme/packages/{}/{}/versions'), [...set].join(' '));
    assert.deepEqual([...set].filter((t) => /packages\/[a-z]/.test(t)), []);
  });
});

describe('createPathTemplater: object types and hot values', () => {
  const hex = (random: () => number): string => {
    let out = '';
    for (let i = 0; i < 32; i++) out += '0123456789abcdef'[Math.floor(random() * 16)];
    return out;
  };

  it('keeps singular object types below a namespace static, each with its own ids (/v1/object/account/{id})', () => {
    const random = seededRandom(41);
    const types = ['account', 'invoice', 'payment', 'contact', 'usage', 'amendment', 'feature', 'refund'];
    const ids = new Map(types.map((type) => [type, Array.from({ length: 300 }, () => hex(random))]));
    const templater = createPathTemplater();
    for (let i = 0; i < 4000; i++) {
      const type = types[zipfIndex(types.length, random)] as string;
      const population = ids.get(type) as string[];
      templater.observe('GET', '', `/v1/object/${type}/${population[zipfIndex(population.length, random)]}`);
    }
    const set = templateSet(templater);
    for (const type of types) assert.ok(set.has(`/v1/object/${type}/{}`), [...set].join(' '));
    assert.ok(!set.has('/v1/object/{}/{}'));
  });

  it('keeps compound type names static after a parameter, alike as their subtrees are (/Employer/{id}/ReportingInstruction/{id}/Tags)', () => {
    const random = seededRandom(43);
    const types = ['ReportingInstruction', 'RtiTransaction', 'ThirdPartyTransaction', 'CisTransaction', 'JournalLine', 'CisLineType', 'DpsMessage', 'ReportLine'];
    const templater = createPathTemplater();
    for (let i = 0; i < 3000; i++) {
      const type = types[Math.floor(random() * types.length)] as string;
      const below = pick(['', '/Tags', '/Tag/urgent', '/Tag/review'], random);
      templater.observe('GET', '', `/Employer/${10000 + zipfIndex(5000, random)}/${type}/${100000 + zipfIndex(50000, random)}${below}`);
    }
    const set = templateSet(templater);
    assert.ok(!set.has('/Employer/{}/{}/{}'), [...set].join(' '));
    assert.ok(set.has('/Employer/{}/ReportingInstruction/{}'), [...set].join(' '));
  });

  it('still takes the same shape below a collection for an enum (/route-stats/{actorType}/{actorId})', () => {
    const random = seededRandom(42);
    const types = ['installation', 'classic_pat', 'fine_grained_pat', 'oauth_app', 'github_app_user_to_server'];
    const templater = createPathTemplater();
    for (let i = 0; i < 3000; i++) {
      const type = types[Math.floor(random() * types.length)] as string;
      templater.observe('GET', '', `/orgs/acme/insights/api/route-stats/${type}/${1000 + zipfIndex(5000, random)}`);
    }
    const set = templateSet(templater);
    assert.ok(set.has('/orgs/acme/insights/api/route-stats/{}/{}'), [...set].join(' '));
  });

  it('sends a hot value with a space in it to its parameter, not to a static sibling (/secrets/iris silver)', () => {
    const random = seededRandom(43);
    const parts = ['amber', 'birch', 'cedar', 'delta', 'ember', 'fern', 'grove', 'harbor', 'jade', 'kelp', 'lotus', 'maple', 'nova', 'onyx'];
    const part = (): string => parts[Math.floor(random() * parts.length)] as string;
    const templater = createPathTemplater();
    for (let i = 0; i < 2000; i++) {
      // one name takes a fifth of the traffic: far heavier than any other
      const name = random() < 0.2 ? 'iris silver' : `${part()}-${part()}-${Math.floor(random() * 100)}`;
      const method = (['GET', 'PUT', 'DELETE'] as const)[Math.floor(random() * 3)] as string;
      templater.observe(method, '', `/api/v1/namespaces/default/secrets/${encodeURIComponent(name)}`);
    }
    assert.equal(normal(templater.match('GET', '', '/api/v1/namespaces/default/secrets/iris%20silver').template), '/api/v1/namespaces/default/secrets/{}');
    assert.deepEqual([...templateSet(templater)], ['/api/v1/namespaces/default/secrets/{}']);
  });

  it('sends a hot name with digits in it to its parameter, subtree and all (/meshes/ruby-96/virtualServices)', () => {
    const random = seededRandom(44);
    const part = (): string => pick(NAME_PARTS.slice(0, 14), random);
    const templater = createPathTemplater();
    for (let i = 0; i < 1500; i++) {
      // one mesh takes an eighth of the traffic, three times the next
      const mesh = random() < 0.12 ? 'ruby-96' : random() < 0.5 ? `${part()}.${part()}` : `${part()}-${Math.floor(random() * 1000)}`;
      const tail = pick(['', '/virtualServices', `/virtualServices/${part()}${Math.floor(random() * 100)}`, '/virtualNodes'], random);
      templater.observe(pick(['GET', 'PUT', 'DELETE'], random), '', `/v20190125/meshes/${mesh}${tail}`);
    }
    assert.equal(normal(templater.match('GET', '', '/v20190125/meshes/ruby-96/virtualServices').template), '/v20190125/meshes/{}/virtualServices');
    assert.ok(![...templateSet(templater)].some((t) => t.includes('ruby')), [...templateSet(templater)].join(', '));
  });

  it('sends a hot generated name to its parameter, however far ahead of the rest (/workspaces/t7R3Rgwih, /service/upjjDkrdhct3)', () => {
    const random = seededRandom(49);
    const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
    const token = (n: number): string => Array.from({ length: n }, () => letters[Math.floor(random() * letters.length)] as string).join('');
    const workspaces = Array.from({ length: 300 }, () => token(4 + Math.floor(random() * 20)));
    const templater = createPathTemplater();
    for (let i = 0; i < 2000; i++) {
      // one workspace takes a sixth of the traffic, far more than any other
      const workspace = random() < 0.16 ? 't7R3Rgwih' : pick(workspaces, random);
      templater.observe(pick(['GET', 'PUT', 'DELETE'], random), 'twin.local', `/workspaces/${workspace}${pick(['', '/entities', `/entities/${crypto.randomUUID()}`, `/scenes/${crypto.randomUUID()}`], random)}`);
      // a few services, named like 'apimService1' by a generator: one is hot, the rest seen some dozen times
      const service = random() < 0.5 ? 'upjjDkrdhct3' : random() < 0.5 ? token(12) : pick(['rrmcLtlsjgo3', 'xkwqPzvbnt7', 'hmzyAospwou2'], random);
      templater.observe('GET', 'apim.local', `/providers/Microsoft.ApiManagement/service/${service}/users${pick(['', `/${crypto.randomUUID()}`, `/${crypto.randomUUID()}/groups`], random)}`);
    }
    const set = [...templateSet(templater)];
    assert.ok(!set.some((t) => /t7R3Rgwih|upjjDkrdhct3|xkwqPzvbnt7|hmzyAospwou2/.test(t)), set.join(', '));
    assert.equal(normal(templater.match('GET', 'twin.local', '/workspaces/t7R3Rgwih/entities').template), '/workspaces/{}/entities');
  });

  it('merges the hottest words below a first segment that is a word, not an API root (/channelGroup/{name}: bright, atlas)', () => {
    const random = seededRandom(50);
    const words = NAME_PARTS;
    // names drawn Zipf-skewed from thousands, as clients re-request their hot objects: the first two are plain words
    const names = ['bright', 'atlas', ...new Set(Array.from({ length: 3000 }, () => `${pick(words, random)}${pick(['_', '-', '.', ''], random)}${pick(words, random)}${pick(words, random)}`))];
    const templater = createPathTemplater();
    for (let i = 0; i < 1500; i++) {
      const group = names[zipfIndex(names.length, random)] as string;
      templater.observe(pick(['GET', 'PUT', 'DELETE'], random), 'media.local', `/channelGroup/${group}${pick(['', '/channel', `/channel/${pick(names, random)}`, `/channel/${pick(names, random)}/policy`], random)}`);
    }
    const set = [...templateSet(templater)].sort();
    assert.deepEqual(set, ['/channelGroup/{}', '/channelGroup/{}/channel', '/channelGroup/{}/channel/{}', '/channelGroup/{}/channel/{}/policy']);
  });

  it('releases a value pinned for standing out early once its requests look like the others\u2019 (/budgets/build.pine), and keeps a read-only sibling (/budgets/upcoming)', () => {
    const random = seededRandom(51);
    const words = NAME_PARTS;
    const names = [...new Set(Array.from({ length: 400 }, () => `${pick(words, random)}.${pick(words, random)}`))].filter((n) => n !== 'build.pine');
    const templater = createPathTemplater();
    for (let i = 0; i < 3000; i++) {
      const r = random();
      if (r < 0.1) {
        templater.observe('GET', 'cost.local', '/scopes/acme/budgets/upcoming');
        continue;
      }
      // one budget is read, written and deleted far more than any other, from the first requests on
      const name = r < 0.3 ? 'build.pine' : pick(names, random);
      templater.observe(pick(['GET', 'PUT', 'DELETE'], random), 'cost.local', `/scopes/acme/budgets/${name}${pick(['', '', '/alerts'], random)}`);
    }
    assert.deepEqual([...templateSet(templater)].sort(), ['/scopes/acme/budgets/upcoming', '/scopes/acme/budgets/{}', '/scopes/acme/budgets/{}/alerts']);
  });

  it('takes short generated ids beside long ones for the same parameter from their first request (/environment/JaWEE2F beside /environment/7rCitSG9WhRYhdgACmo1)', () => {
    const random = seededRandom(52);
    const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
    const token = (n: number): string => Array.from({ length: n }, () => letters[Math.floor(random() * letters.length)] as string).join('');
    // AWS's [a-zA-Z0-9]{1,26}: a few short ids, read, written and deleted a few times each
    const short = ['JaWEE2F', 'TJTi6A', 'MqDknG0kw', 'nbX9KbX', '8ZZJM', 'GpUWDuEP6', 'snmNC-fWFYTb'];
    const templater = createPathTemplater();
    // some came before any long one: static then, they join the parameter with the first short one after it
    for (const first of ['xsimzslofkSthp2', 'iZCamJ_uggmKBocC']) templater.observe('GET', 'fin.local', `/environment/${first}`);
    for (let i = 0; i < 400; i++) {
      const id = random() < 0.1 ? pick(short, random) : token(20);
      templater.observe(pick(['GET', 'PUT', 'DELETE'], random), 'fin.local', `/environment/${id}`);
    }
    assert.deepEqual([...templateSet(templater)], ['/environment/{}']);
  });

  it('releases a hot repository pinned early, with its many sub-resources (/repos/{owner}/topaz_cloud/…)', () => {
    const random = seededRandom(53);
    const owners = names(300, random);
    const repos = names(2000, random).filter((r) => r !== 'topaz_cloud');
    const base = ['issues', 'pulls', 'branches', 'commits', 'tags', 'releases', 'hooks', 'forks', 'stargazers', 'subscribers', 'contributors', 'languages', 'teams', 'topics', 'installation', 'readme', 'deployments', 'milestones', 'labels', 'collaborators'];
    // sixty sub-resources, as a repository has: its steps spread over all of them
    const subs = [...base, ...base.map((b) => `${b}-summary`), ...base.map((b) => `${b}-settings`)];
    const templater = createPathTemplater();
    for (let i = 0; i < 20000; i++) {
      // one repository takes an eighth of the traffic from the first requests on
      const repo = random() < 0.12 ? 'topaz_cloud' : pick(repos, random);
      const sub = subs[zipfIndex(subs.length, random)] as string;
      templater.observe(pick(['GET', 'GET', 'POST', 'PATCH'], random), 'gh.local', `/repos/${pick(owners, random)}/${repo}/${sub}`);
    }
    const set = [...templateSet(templater)];
    assert.ok(!set.some((t) => t.includes('topaz_cloud')), set.filter((t) => t.includes('topaz')).join(', '));
    assert.equal(set.length, subs.length);
  });

  it('releases a hot value of one endpoint whose requests end where the others\u2019 end (/projects/velvet: only ever patched, read, deleted)', () => {
    const random = seededRandom(54);
    const words = NAME_PARTS;
    const names = [...new Set(Array.from({ length: 600 }, () => `${pick(words, random)}-${pick(words, random)}`))];
    const templater = createPathTemplater();
    for (let i = 0; i < 3000; i++) {
      if (random() < 0.7) {
        // the sub-resources' requests draw their projects from the whole population
        templater.observe('GET', 'cc.local', `/v1/spaces/main/projects/${pick(names, random)}/devEnvironments`);
      } else {
        // the project's own endpoint: one project is a third of it
        const project = random() < 0.3 ? 'velvet' : pick(names, random);
        templater.observe(pick(['PATCH', 'PATCH', 'GET', 'DELETE'], random), 'cc.local', `/v1/spaces/main/projects/${project}`);
      }
    }
    assert.deepEqual([...templateSet(templater)].sort(), ['/v1/spaces/main/projects/{}', '/v1/spaces/main/projects/{}/devEnvironments']);
  });

  it('takes forty page slugs, half of them numbered, each read a few times, for one parameter (/custompages/{slug})', () => {
    const random = seededRandom(45);
    const words = ['eagle', 'garden', 'fern', 'store', 'breeze', 'nebula', 'field', 'data', 'prairie', 'deploy', 'slate', 'canyon', 'ruby', 'wind', 'tiger'];
    const slugs = Array.from({ length: 40 }, (_, i) => `${pick(words, random)}-${pick(words, random)}${i % 2 === 0 ? `-${100 + Math.floor(random() * 900)}` : ''}`);
    const templater = createPathTemplater();
    for (let i = 0; i < 150; i++) {
      templater.observe(pick(['GET', 'POST'], random), '', '/api/v1/custompages');
      // a few pages are read, written and deleted far more than the rest
      templater.observe(pick(['GET', 'PUT', 'DELETE'], random), '', `/api/v1/custompages/${slugs[zipfIndex(slugs.length, random)] as string}`);
    }
    assert.deepEqual([...templateSet(templater)].sort(), ['/api/v1/custompages', '/api/v1/custompages/{}']);
  });
});

describe('createPathTemplater: versions at the root', () => {
  // each endpoint versioned on its own: a dozen versions at the root, the first requests bringing a new one each
  const endpoints = [
    '/v1/projects', '/v9/projects', '/v9/projects/{id}', '/v13/deployments', '/v6/deployments/{id}/files', '/v2/teams',
    '/v4/domains', '/v5/domains/{id}', '/v7/certs/{id}', '/v3/events', '/v8/artifacts/{id}', '/v10/projects/{id}/env', '/v11/aliases',
    '/2015-03-31/functions', '/2015-03-31/functions/{id}', '/2018-10-31/layers', '/2019-09-25/functions/{id}/event-invoke-config',
    '/2020-04-22/code-signing-configs', '/2021-10-31/functions/{id}/url', '/2016-08-19/account-settings', '/2017-03-31/tags/{id}',
  ];

  it('keeps per-endpoint versions and dated API versions static (/v9/projects, /2015-03-31/functions)', () => {
    const random = seededRandom(41);
    const ids = names(3000, random);
    const templater = createPathTemplater();
    for (let i = 0; i < 4000; i++) {
      const endpoint = endpoints[zipfIndex(endpoints.length, random)] as string;
      templater.observe('GET', 'api.example.com', endpoint.replace('{id}', ids[Math.floor(random() * ids.length)] as string));
    }
    const set = templateSet(templater);
    for (const endpoint of endpoints) assert.ok(set.has(endpoint.replace('{id}', '{}')), `${endpoint} in ${[...set].join(' ')}`);
    assert.equal(normal(templater.match('GET', 'api.example.com', '/v9/projects/kalomi').template), '/v9/projects/{}');
  });

  it('keeps a compact dated prefix static beside the API\u2019s collections (/20200301/gateways beside /assets/{id})', () => {
    const random = seededRandom(46);
    const templater = createPathTemplater();
    for (let i = 0; i < 600; i++) {
      const id = crypto.randomUUID();
      const path = pick([`/assets/${id}`, '/assets', `/projects/${id}`, '/20200301/gateways', `/20200301/gateways/${id}`, `/20200301/gateways/${id}/capability`], random);
      templater.observe('GET', 'iot.local', path);
    }
    assert.deepEqual([...templateSet(templater)].sort(), ['/20200301/gateways', '/20200301/gateways/{}', '/20200301/gateways/{}/capability', '/assets', '/assets/{}', '/projects/{}']);
    // eight digits that only parse as a date are still an id at once
    assert.equal(normal(templater.match('GET', 'iot.local', '/assets/19120518').template), '/assets/{}');
  });
});

describe('createPathTemplater: file names', () => {
  it('learns a file-name parameter from attachments re-read often (/Attachments/{fileName})', () => {
    const files = ['kalo.md', 'tensu.pdf', 'ramo.png', 'bexi.csv', 'lura.txt', 'mondi.json', 'karo.py', 'sefi.toml', 'nalo.md', 'pivu.pdf', 'dora.png', 'weki.csv'];
    // three files read again and again, each new one between two re-reads: too few new values for the counts alone
    const reads: string[] = [];
    for (let r = 0; r < 3; r++) reads.push(...files.slice(0, 3));
    for (let i = 3; i < files.length; i++) reads.push(files[i] as string, files[i % 3] as string, files[(i + 1) % 3] as string);
    const templater = createPathTemplater();
    for (const file of reads) templater.observe('PUT', 'api.example.com', `/api/2.0/Accounts/1a7c2e9f-0b1d-4e5f-8a9b-0c1d2e3f4a5b/Attachments/${file}`);
    assert.equal(normal(templater.match('PUT', 'api.example.com', '/api/2.0/Accounts/1a7c2e9f-0b1d-4e5f-8a9b-0c1d2e3f4a5b/Attachments/kalo.md').template), '/api/2.0/Accounts/{}/Attachments/{}');
    assert.deepEqual([...templateSet(templater)], ['/api/2.0/Accounts/{}/Attachments/{}']);
  });

  it('keeps an API\u2019s own files of one stem as a format parameter, not a file name (/export/report.{format})', () => {
    const templater = createPathTemplater();
    for (let i = 0; i < 200; i++) for (const format of ['json', 'csv', 'xml', 'pdf', 'html', 'txt']) templater.observe('GET', 'api.example.com', `/projects/7/export/report.${format}`);
    assert.equal(normal(templater.match('GET', 'api.example.com', '/projects/7/export/report.json').template), '/projects/7/export/report.{}');
  });
});

describe('createPathTemplater: a value that is a path (an encoded slash)', () => {
  it('makes a parameter of segments with %2F at the root and below a collection, beside a static word', () => {
    const templater = createPathTemplater();
    const words = ['alpha', 'beta', 'gamma', 'delta', 'omega', 'kappa'];
    for (let i = 0; i < 12; i++) {
      const scope = encodeURIComponent(`subscriptions/${String(1000 + i)}-aa/resourceGroups/${words[i % 6]}-rg`);
      templater.observe('GET', 'api.example.com', `/${scope}/providers/Microsoft.Resources/deployments`);
      templater.observe('GET', 'api.example.com', `/files/${encodeURIComponent(`src/${words[i % 6]}/main.c`)}`);
    }
    templater.observe('GET', 'api.example.com', '/files/readme');
    const scope = encodeURIComponent('subscriptions/77-bb/resourceGroups/new-rg');
    assert.equal(normal(templater.match('GET', 'api.example.com', `/${scope}/providers/Microsoft.Resources/deployments`).template), '/{}/providers/Microsoft.Resources/deployments');
    assert.equal(normal(templater.match('GET', 'api.example.com', '/files/lib%2Fx.c').template), '/files/{}');
    assert.equal(normal(templater.match('GET', 'api.example.com', '/files/readme').template), '/files/readme');
  });
});

describe('createPathTemplater: word values the bounded value table forgot', () => {
  it('maps every account slug that joined /api/v1/{account}/… to it, beside the API\u2019s own collections', () => {
    // Netlify-like: 13 collections take 96 % of the traffic, ~280 account slugs the rest
    const random = seededRandom(5);
    const templater = createPathTemplater();
    const collections = ['sites', 'accounts', 'hooks', 'deploys', 'dns_zones', 'oauth', 'deploy_keys', 'submissions', 'builds', 'services', 'forms', 'user', 'billing'];
    const first = ['amber', 'cedar', 'delta', 'ember', 'frost', 'grove', 'harbor', 'iris', 'jade', 'kite', 'lumen', 'maple'];
    const second = ['otter', 'heron', 'lynx', 'quartz', 'willow', 'badger', 'config', 'frontend', 'server', 'proxy'];
    const slug = (): string => `${pick(first, random)}-${pick(second, random)}${random() < 0.4 ? `-${Math.floor(random() * 1000)}` : ''}`;
    const hex = (): string => Math.floor(random() * 2 ** 48).toString(16).padStart(12, '0') + Math.floor(random() * 2 ** 48).toString(16).padStart(12, '0');
    const slugs = new Set<string>();
    for (let i = 0; i < 12000; i++) {
      if (random() < 0.964) {
        const collection = collections[Math.min(collections.length - 1, Math.floor(-Math.log(random()) * 2))] as string;
        templater.observe('GET', 'api.example.com', random() < 0.3 ? `/api/v1/${collection}` : `/api/v1/${collection}/${hex()}`);
      } else {
        const s = slug();
        slugs.add(s);
        const r = random();
        templater.observe(r < 0.3 ? 'POST' : 'GET', 'api.example.com', `/api/v1/${s}/${r < 0.35 ? 'sites' : r < 0.9 ? `members${random() < 0.5 ? `/${hex()}` : ''}` : 'builds/status'}`);
      }
    }
    assert.ok(slugs.size > 256, `${slugs.size} slugs: more than the value table holds`);
    const missed = [...slugs].filter((s) => normal(templater.match('GET', 'api.example.com', `/api/v1/${s}/sites`).template) !== '/api/v1/{}/sites');
    assert.deepEqual(missed, []);
    assert.equal(normal(templater.match('GET', 'api.example.com', `/api/v1/hooks/${hex()}`).template), '/api/v1/hooks/{}');
    assert.equal(normal(templater.match('GET', 'api.example.com', '/api/v1/accounts').template), '/api/v1/accounts');
  });
});

describe('createPathTemplater: an API\u2019s many collections with the same sub-resources', () => {
  it('keeps 500 plural entity names static though each has the same children (/V1.0/{Entities}/query/count)', () => {
    const random = seededRandom(21);
    const templater = createPathTemplater();
    const heads = ['Ticket', 'Contract', 'Project', 'Company', 'Resource', 'Invoice', 'Quote', 'Service', 'Product', 'Expense', 'Configuration', 'Opportunity', 'Purchase', 'Billing', 'Time', 'Survey', 'Price', 'Document', 'Role', 'Holiday'];
    const tails = ['Notes', 'Attachments', 'Roles', 'Categories', 'Webhooks', 'Fields', 'Items', 'Charges', 'Contacts', 'Locations', 'Rates', 'Tags', 'Logs', 'Groups', 'Codes', 'Types', 'Steps', 'Rules', 'Tasks', 'Lines', 'Entries', 'Alerts', 'Costs', 'Milestones', 'Exclusions'];
    const entities = heads.flatMap((h) => tails.map((t) => h + t));
    for (let i = 0; i < 3000; i++) {
      // Zipf-like: a few entities take most requests, most are seen a few times
      const entity = entities[Math.min(entities.length - 1, Math.floor(Math.exp(random() * Math.log(entities.length + 1))) - 1)] as string;
      const below = random() < 0.3 ? String(Math.floor(random() * 1e6)) : pick(['query', 'query/count', 'entityInformation', 'entityInformation/fields', 'entityInformation/userDefinedFields'], random);
      templater.observe(pick(['GET', 'POST', 'PATCH'], random), 'api.example.com', `/ATServicesRest/V1.0/${entity}/${below}`);
    }
    const merged = [...templateSet(templater)].filter((t) => t.startsWith('/ATServicesRest/V1.0/{'));
    assert.deepEqual(merged, []);
    assert.equal(normal(templater.match('GET', 'api.example.com', '/ATServicesRest/V1.0/TicketNotes/query/count').template), '/ATServicesRest/V1.0/TicketNotes/query/count');
  });
});

describe('createPathTemplater: bundle file names ending in .js', () => {
  it('merges /static/js/app.<hash>.js into one parameter: a name ending in "js" is no plural noun', () => {
    const random = seededRandom(41);
    const templater = createPathTemplater();
    for (let i = 0; i < 3000; i++) templater.observe('GET', 'shop.example.com', `/static/js/app.${Math.floor(random() * 65536).toString(16).padStart(4, '0')}.js`);
    assert.deepEqual([...templateSet(templater)].map(normal), ['/static/js/{}']);
  });
});
