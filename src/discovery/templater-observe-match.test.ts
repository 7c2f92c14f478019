import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createPathTemplater } from './templater.ts';
import { seededRandom } from './test-random.ts';


const WORDS = ['users', 'orders', 'items', 'me', 'settings', 'search', 'v1', 'v2', 'api', 'npm', 'maven', 'docker', 'versions', 'restore', 'public-key', 'secrets', 'report.json', 'report.csv', 'report.xml', 'export', 'fix-granite', 'release-1.19', 'Olive-Crystal', 'moss7', 'v3.2.1', 'lagoon%20brook', 'rubygems', ''];
const HOSTS = ['', 'api.example.com', 'acme.api.example.com', 'globex.api.example.com', 'initech.api.example.com', '10.0.0.1', 'example.com'];

/** a segment of any shape the templater sorts: words, integers, ids, UUIDs, dates, file names, encoded text */
function segment(random: () => number): string {
  const r = random();
  if (r < 0.35) return WORDS[Math.floor(random() * WORDS.length)] as string;
  if (r < 0.5) return String(Math.floor(random() * (random() < 0.5 ? 40 : 1e7)));
  if (r < 0.6) return `cus_${Math.floor(random() * 1e12).toString(36)}`;
  if (r < 0.67) return '8c0d3e2a-5b7f-4c1d-9e6a-' + Math.floor(random() * 1e12).toString(16).padStart(12, '0');
  if (r < 0.74) return `2026-0${1 + Math.floor(random() * 9)}-1${Math.floor(random() * 9)}`;
  if (r < 0.8) return `${Math.floor(random() * 1e6)}.pdf`;
  if (r < 0.85) return `name%20${Math.floor(random() * 50)}`;
  if (r < 0.93) return ['ka', 'lo', 'mi', 'ten', 'su', 'ra', 'vel', 'no'].slice(0, 2 + Math.floor(random() * 6)).sort(() => random() - 0.5).join('');
  return `w${Math.floor(random() * 3000)}`;
}

function path(random: () => number): string {
  const depth = Math.floor(random() * 5);
  let out = '';
  for (let i = 0; i < depth; i++) out += '/' + segment(random);
  if (random() < 0.05) out += '/';
  return random() < 0.03 ? out.slice(1) : out || '/';
}

/** observeMatch on one templater, observe then match on another: the same answers, the same templates */
function assertSame(requests: readonly (readonly [string, string, string])[], options: Parameters<typeof createPathTemplater>[0] = {}): void {
  const one = createPathTemplater(options);
  const two = createPathTemplater(options);
  for (const [method, host, p] of requests) {
    const combined = one.observeMatch(method, host, p);
    two.observe(method, host, p);
    const separate = two.match(method, host, p);
    assert.deepEqual({ host: combined.host, template: combined.template }, separate, `${method} ${host}${p}`);
  }
  assert.deepEqual(one.templates(), two.templates());
  assert.deepEqual(one.stats(), two.stats());
}

describe('PathTemplater.observeMatch', () => {
  it('answers as observe() then match() over mixed traffic, as the tree learns, merges and splits', () => {
    for (let seed = 1; seed <= 6; seed++) {
      const random = seededRandom(seed);
      const requests: [string, string, string][] = [];
      for (let i = 0; i < 6000; i++) requests.push([random() < 0.8 ? 'GET' : 'POST', HOSTS[Math.floor(random() * HOSTS.length)] as string, path(random)]);
      assertSame(requests);
    }
  });

  it('answers as observe() then match() past the memory bounds', () => {
    const random = seededRandom(99);
    const requests: [string, string, string][] = [];
    for (let i = 0; i < 4000; i++) requests.push(['GET', `h${Math.floor(random() * 40)}.example.com`, path(random)]);
    assertSame(requests, { maxChildren: 8, maxNodes: 300 });
    assertSame(requests, { templateHosts: false, maxChildren: 5 });
  });

  it('answers as observe() then match() on arbitrary paths (property)', () => {
    const segments = fc.oneof(fc.constantFrom(...WORDS), fc.nat(5000).map(String), fc.stringMatching(/^[a-z0-9_.%-]{1,12}$/));
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('GET', 'PUT'), fc.constantFrom(...HOSTS), fc.array(segments, { maxLength: 4 }).map((s) => '/' + s.join('/'))), { maxLength: 300 }), (requests) => {
        assertSame(requests, { maxChildren: 16 });
      }),
      { numRuns: 60 },
    );
  });
});
