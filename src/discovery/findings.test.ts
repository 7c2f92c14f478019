import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  compareFindings, countBySeverity, escapeHtml, escapeMarkdown, filterFindings, findingId, markdownCode,
  renderHtml, renderMarkdown, renderText, sortFindings,
} from './findings.ts';
import type { Finding } from './types.ts';

function finding(overrides: Partial<Finding> & Pick<Finding, 'kind' | 'severity'>): Finding {
  const method = overrides.method ?? 'GET';
  const template = overrides.template ?? '/x';
  return {
    id: findingId(overrides.kind, '', method, template),
    host: '',
    method,
    template,
    operationId: null,
    title: `${overrides.kind} on ${template}`,
    detail: 'do something',
    evidence: { requests: 1 },
    firstSeen: Date.UTC(2024, 0, 1),
    lastSeen: Date.UTC(2024, 0, 2),
    ...overrides,
  };
}

const HOSTILE = '/v2/<script>alert(1)</script>/"\'&x|*_`[a](javascript:x)\u001b[2J\u202e';

describe('findingId', () => {
  it('is stable, and differs by kind, endpoint and detail key', () => {
    const id = findingId('drift', 'h', 'GET', '/a', 'query');
    assert.equal(id, findingId('drift', 'h', 'GET', '/a', 'query'));
    assert.match(id, /^drift-[0-9a-f]{16}$/);
    assert.notEqual(id, findingId('drift', 'h', 'GET', '/a', 'status'));
    assert.notEqual(id, findingId('drift', '', 'GET', '/a', 'query'));
    assert.notEqual(id, findingId('shadow', 'h', 'GET', '/a', 'query'));
    // no ambiguity from concatenation
    assert.notEqual(findingId('shadow', 'a', 'GET', '/b'), findingId('shadow', 'a/', 'GET', 'b'));
  });
});

describe('sortFindings', () => {
  it('orders by severity, then kind (exposure first), then requests, then id', () => {
    const findings = [
      finding({ kind: 'orphan', severity: 'low', template: '/o' }),
      finding({ kind: 'shadow', severity: 'high', template: '/s', evidence: { requests: 5 } }),
      finding({ kind: 'shadow', severity: 'high', template: '/t', evidence: { requests: 50 } }),
      finding({ kind: 'exposure', severity: 'high', template: '/e', evidence: { requests: 1 } }),
      finding({ kind: 'exposure', severity: 'critical', template: '/c' }),
      finding({ kind: 'drift', severity: 'medium', template: '/d' }),
    ];
    assert.deepEqual(sortFindings(findings).map((f) => f.template), ['/c', '/e', '/t', '/s', '/d', '/o']);
    // a copy: the input keeps its order
    assert.equal(findings[0]!.template, '/o');
    assert.equal(compareFindings(findings[0]!, findings[0]!), 0);
  });
});

describe('filterFindings and countBySeverity', () => {
  const findings = [
    finding({ kind: 'exposure', severity: 'critical', template: '/accounts/{phone}', host: 'api' }),
    finding({ kind: 'shadow', severity: 'medium', template: '/admin' }),
    finding({ kind: 'orphan', severity: 'info', template: '/reports' }),
  ];

  it('keeps a minimum severity, kinds, a host and a text', () => {
    assert.deepEqual(filterFindings(findings, { minSeverity: 'medium' }).map((f) => f.kind), ['exposure', 'shadow']);
    assert.deepEqual(filterFindings(findings, { kinds: ['orphan'] }).map((f) => f.kind), ['orphan']);
    assert.deepEqual(filterFindings(findings, { host: 'api' }).map((f) => f.kind), ['exposure']);
    assert.deepEqual(filterFindings(findings, { text: 'ADMIN' }).map((f) => f.kind), ['shadow']);
    assert.equal(filterFindings(findings, {}).length, 3);
  });

  it('counts by severity', () => {
    assert.deepEqual(countBySeverity(findings), { critical: 1, high: 0, medium: 1, low: 0, info: 1 });
  });
});

describe('renderText', () => {
  it('gives one line per finding, with control and bidi characters escaped', () => {
    // the title names the endpoint (spec-diff writes it so): the line shows the title, escaped
    const lines = renderText([finding({ kind: 'shadow', severity: 'high', template: HOSTILE, title: `GET ${HOSTILE} is served but not documented`, evidence: { requests: 3 } })]);
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /^HIGH {5}shadow {3}GET \/v2\//);
    assert.match(lines[0]!, /\(3 requests\)/);
    assert.ok(!lines[0]!.includes('\u001b'));
    assert.ok(!lines[0]!.includes('\u202e'));
    assert.ok(lines[0]!.includes('\\x1b[2J'));
    assert.ok(lines[0]!.includes('\\u202e'));
  });

  it('adds the detail and the evidence when verbose', () => {
    const lines = renderText([finding({ kind: 'drift', severity: 'low', detail: 'line\nbreak', evidence: { requests: 1, names: ['a\u009bb'] } })], { isVerbose: true });
    assert.ok(lines.length > 2);
    assert.ok(lines.every((l) => !/[\u0000-\u001f\u007f-\u009f]/.test(l)));
    assert.equal(lines[1], '    line\\x0abreak');
  });
});

describe('renderMarkdown', () => {
  it('escapes prose so that no HTML, link or emphasis comes from the data', () => {
    assert.equal(escapeMarkdown('<b>*x*</b> [a](b) &amp;'), '&lt;b&gt;\\*x\\*&lt;\\/b&gt; \\[a\\]\\(b\\) &amp;amp\\;');
    // no bare URL for GFM's autolink extension to pick up
    assert.equal(escapeMarkdown('http://x'), 'http\\:\\/\\/x');
  });

  it('puts paths in code spans whose fence the data cannot close, and escapes pipes in tables', () => {
    assert.equal(markdownCode('a`b'), '``a`b``');
    assert.equal(markdownCode('`a'), '`` `a ``');
    assert.equal(markdownCode('a|b', true), '`a\\|b`');
    assert.equal(markdownCode('a|b'), '`a|b`');
  });

  it('renders a hostile finding with nothing live in it', () => {
    const md = renderMarkdown([finding({ kind: 'shadow', severity: 'high', template: HOSTILE, evidence: { requests: 2, field: '</pre><script>' } })], { title: 'Report <x>' });
    assert.ok(md.startsWith('# Report &lt;x&gt;\n'));
    assert.ok(!/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/.test(md));
    const lines = md.split('\n');
    // the table row keeps five cells: the data's pipe is escaped
    const row = lines.find((l) => l.startsWith('| high |'))!;
    assert.equal(row.split(/(?<!\\)\|/).length - 2, 5);
    // prose (the finding cell, the heading) holds no markup; '<' appears only
    // inside code spans and the fenced evidence, where CommonMark shows it as text
    const [, , , , titleCell] = row.split(/(?<!\\)\|/);
    assert.ok(!titleCell!.includes('<'));
    assert.ok(!lines.find((l) => l.startsWith('## '))!.includes('<'));
    // the evidence fence opens once and closes once, its JSON on several lines
    const open = lines.indexOf('```json');
    assert.ok(open > 0);
    assert.equal(lines.indexOf('```', open), open + 5);
    assert.equal(lines[open + 3], '  "field": "</pre><script>"');
  });

  it('says when there is nothing', () => {
    assert.match(renderMarkdown([]), /No findings\./);
  });
});

describe('renderHtml', () => {
  it('escapes every character that could open markup or an attribute', () => {
    assert.equal(escapeHtml('<a href="x" onclick=\'y\'>&</a>'), '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });

  it('escapes <script> in a path, a title, an operationId and the evidence', () => {
    const hostile = finding({
      kind: 'exposure', severity: 'critical', template: HOSTILE, host: 'evil"><script>x()</script>',
      operationId: '<script>op()</script>', title: 'title <script>t()</script>',
      evidence: { requests: 9, field: '</pre><script>e()</script>', names: ['<img src=x onerror=alert(1)>'] },
    });
    const html = renderHtml([hostile], { title: '<script>title()</script>', generatedAt: Date.UTC(2024, 6, 1) });
    assert.ok(!/<script/i.test(html), 'no script element');
    assert.ok(!/<img/i.test(html), 'no img element');
    assert.ok(html.includes('/v2/&lt;script&gt;alert(1)&lt;/script&gt;/&quot;&#39;&amp;x'));
    assert.ok(html.includes('&lt;/pre&gt;&lt;script&gt;e()&lt;/script&gt;'));
    assert.ok(!html.includes('\u001b') && !html.includes('\u202e'));
    // the evidence keeps its line breaks
    assert.match(html, /<pre>\{\n {2}&quot;requests&quot;: 9,\n/);
  });

  it('is self-contained: no external asset, no script, a CSP that forbids both', () => {
    const html = renderHtml([finding({ kind: 'orphan', severity: 'info' })]);
    assert.ok(html.startsWith('<!doctype html>'));
    assert.match(html, /Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'/);
    assert.ok(!/\b(?:src|href)="(?:https?:)?\/\//i.test(html));
    assert.ok(!/<(?:script|link|img|iframe)\b/i.test(html));
    assert.match(html, /<details id="orphan-[0-9a-f]{16}">/);
  });

  it('neutralises an unknown severity used as a class name', () => {
    const html = renderHtml([{ ...finding({ kind: 'drift', severity: 'low' }), severity: 'x" onmouseover="y' as Finding['severity'] }]);
    assert.ok(!html.includes('onmouseover'));
    assert.match(html, /class="sev unknown"/);
  });
});
