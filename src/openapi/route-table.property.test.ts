import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileRouteTable } from './route-table.ts';
import { parseTemplate, type TemplateSegment } from './template.ts';
import { documentOf } from './test-helpers.ts';

// Small alphabets, so that generated templates collide and compete often.
const STATIC_SEGMENTS = ['a', 'b', 'ab', 'x.y', 'a:b', 'a*b', '(c)', 'd$'];
// `#` is replaced by a parameter; several shapes share static text on purpose.
const MIXED_SEGMENTS = ['#', '#', '#.json', 'v#', '#-#', '#:go', '#.#', 'a#'];
const NAMES = ['p', 'q-', 'r.'];

const segmentArb = fc.oneof(
  fc.constantFrom(...STATIC_SEGMENTS),
  fc.constantFrom(...MIXED_SEGMENTS),
);

/** A template of 1 to 4 segments, its parameters named uniquely. */
const templateArb = fc.array(segmentArb, { minLength: 1, maxLength: 4 }).map((segments) => {
  let n = 0;
  return '/' + segments.map((s) => s.replaceAll('#', () => `{${NAMES[n % NAMES.length]}${n++}}`)).join('/');
});

// Parameter values: unreserved characters (some of which also occur in the
// static text above), and characters that must be percent-encoded. Reserved
// characters such as ":" are left out on purpose: find-my-way compares a
// decoded "%3A" with the ":" of an in-segment template (see the report in
// route-table.ts), so the path would not round-trip.
const valueArb = fc.array(fc.constantFrom('a', 'b', 'Z', '1', '.', '-', '_', '~', ' ', 'é', '/'), { minLength: 1, maxLength: 6 })
  .map((chars) => chars.join(''));

function fill(template: string, values: readonly string[]): string {
  let i = 0;
  return template.replace(/\{[^{}]*\}/g, () => encodeURIComponent(values[i++ % values.length] as string));
}

/**
 * find-my-way's order of preference for one segment, lower first: static
 * text; static text then parameters (the longer the static prefix, the
 * earlier: it is deeper in the radix tree); a parameter with static text;
 * a parameter alone. Equal values are ties that the tree orders otherwise.
 */
function rank(segment: TemplateSegment): [number, number] {
  const first = segment[0];
  if (segment.every((t) => t.kind === 'static')) return [0, 0];
  if (first?.kind === 'static') return [1, -first.text.length];
  return [segment.length === 1 ? 3 : 2, 0];
}

function segmentKey(segment: TemplateSegment): string {
  return segment.map((t) => (t.kind === 'param' ? '{}' : t.text)).join('');
}

describe('compileRouteTable: property', () => {
  it('a path made from a template matches it, or a template at least as specific', () => {
    fc.assert(
      fc.property(
        fc.array(templateArb, { minLength: 1, maxLength: 12 }),
        fc.nat(),
        fc.array(valueArb, { minLength: 1, maxLength: 8 }),
        (templates, pick, values) => {
          const table = compileRouteTable([documentOf(templates.map((t) => `GET ${t}`))]);
          const chosen = templates[pick % templates.length] as string;
          const path = fill(chosen, values);

          const match = table.match('GET', path);
          assert.ok(match, `${path} from ${chosen} in ${templates.join(' ')}`);
          assert.ok(table.hasPath(path));

          // The match explains the path: its template filled with the
          // matched values gives the path back, segment by segment once
          // decoded (a static "$" of one template can be a value of another).
          const matchedTemplate = match.operation.template;
          const rebuilt = matchedTemplate.split('/').map((segment) =>
            segment.replace(/\{([^{}]*)\}/g, (_, name: string) => {
              const value = match.params[name];
              assert.ok(value !== undefined && value !== '', `empty ${name}`);
              return value;
            }));
          assert.deepEqual(rebuilt, path.split('/').map(decodeURIComponent), `${matchedTemplate} ${JSON.stringify({ ...match.params })}`);

          // At the first segment where the two differ, the match is at
          // least as specific as the template the path came from. Not for a
          // static "*", which find-my-way can only match with a regex node
          // (see toFindMyWayRoute): it ranks after static text.
          if (chosen.includes('*')) return;
          const a = parseTemplate(matchedTemplate);
          const b = parseTemplate(chosen);
          for (let s = 0; s < a.length; s++) {
            const sa = a[s] as TemplateSegment;
            const sb = b[s] as TemplateSegment;
            if (segmentKey(sa) === segmentKey(sb)) continue;
            const [ka, pa] = rank(sa);
            const [kb, pb] = rank(sb);
            assert.ok(ka < kb || (ka === kb && pa <= pb), `${matchedTemplate} is less specific than ${chosen} at segment ${s}`);
            break;
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it('a path with an empty segment where a parameter stands never matches it', () => {
    fc.assert(
      fc.property(fc.array(templateArb, { minLength: 1, maxLength: 8 }), (templates) => {
        const table = compileRouteTable([documentOf(templates.map((t) => `GET ${t}`))]);
        for (const template of templates) {
          if (!template.endsWith('}') || !/\/\{[^{}/]*\}$/.test(template)) continue;
          const path = fill(template, ['a']).replace(/[^/]*$/, '');
          const match = table.match('GET', path);
          if (match !== null) assert.ok(match.operation.template.endsWith('/'), `${path} matched ${match.operation.template}`);
        }
      }),
      { numRuns: 200 },
    );
  });
});
