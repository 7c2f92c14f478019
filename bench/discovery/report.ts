/**
 * Markdown and SVG from a results file: the summary against the aim, the
 * learning curves, one table per document, and the worst cases (wrong
 * merges, wrong splits, missed endpoints with their templates) for a
 * developer to act on.
 */

import type { Counted, Score } from './score.ts';
import { RECONSTRUCTIONS, type DocumentResult, type LevelResult, type Reconstruction, type Results, type RunResult } from './results.ts';

/** The aim stated in the product issue. */
export const AIM = { mean: 100, f1: 0.98 } as const;

const COLORS: Record<Reconstruction, string> = { apiwarden: '#1f77b4', 'har-to-openapi': '#d62728', optic: '#2ca02c' };

const f3 = (x: number): string => x.toFixed(3);
const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;
const int = (x: number): string => x.toLocaleString('en-US');
const code = (s: string): string => `\`${s.replace(/`/g, "'")}\``;

function okRun(run: RunResult | undefined): (RunResult & { ok: true }) | null {
  return run !== undefined && run.ok ? run : null;
}

export function renderMarkdown(results: Results, svgFile: string | null): string {
  const out: string[] = [];
  out.push('# Discovery accuracy: path templates learned from traffic alone', '');
  out.push(`${results.startedAt} · seed ${code(results.seed)} · Node ${results.node} · ${results.machine.cpus} × ${results.machine.model}`);
  out.push(`templater: ${code(results.templater)} (folder sha256 ${code(results.templaterFingerprint ?? '?')}) · har-to-openapi ${results.peers['har-to-openapi'].version} ${code(JSON.stringify(results.peers['har-to-openapi'].options))} · Optic: ${results.peers.optic.version ?? 'not run'} (${results.peers.optic.note})`);
  for (const [peer, settings] of Object.entries(results.peerSettings)) {
    out.push(`${peer}: at ${settings.levels.join(', ')} requests/endpoint, on at most the first ${int(settings.cap)} requests of the traffic, ${results.peerTimeoutS} s per run`);
  }
  out.push('');
  for (const s of results.skipped) out.push(`- skipped: ${s}`);
  if (results.skipped.length > 0) out.push('');

  out.push(`## Summary (aim: F1 ≥ ${AIM.f1} at ${AIM.mean} requests/endpoint on every document, ahead of every peer)`, '');
  out.push(`| document | endpoints | ${RECONSTRUCTIONS.map((r) => `${r} F1`).join(' | ')} | aim |`);
  out.push(`| --- | ---: | ${RECONSTRUCTIONS.map(() => '---:').join(' | ')} | --- |`);
  for (const doc of results.documents) {
    const level = doc.levels.find((l) => l.mean === AIM.mean) ?? doc.levels.at(-1);
    const cells = RECONSTRUCTIONS.map((r) => {
      const run = level?.runs[r];
      if (run === undefined) return '–';
      if (!run.ok) return /within \d+ s/.test(run.reason) ? 'timed out' : 'failed';
      return `${f3(run.score.f1)}${level !== undefined && run.sawRequests < level.requests ? ` (first ${int(run.sawRequests)})` : ''}`;
    });
    out.push(`| ${doc.title} | ${int(doc.endpoints)} | ${cells.join(' | ')} | ${level === undefined ? '–' : aimVerdict(level)} |`);
  }
  out.push('');

  out.push('## Learning curve (F1 by requests per endpoint)', '');
  if (svgFile !== null) out.push(`![F1 by requests per endpoint](${svgFile})`, '');
  const levels = [...new Set(results.documents.flatMap((d) => d.levels.map((l) => l.mean)))].sort((a, b) => a - b);
  out.push(`| document | reconstruction | ${levels.join(' | ')} |`);
  out.push(`| --- | --- | ${levels.map(() => '---:').join(' | ')} |`);
  for (const doc of results.documents) {
    for (const r of RECONSTRUCTIONS) {
      const cells = levels.map((m) => {
        const run = doc.levels.find((l) => l.mean === m)?.runs[r];
        return run === undefined ? '' : run.ok ? f3(run.score.f1) : '✗';
      });
      if (cells.every((c) => c === '')) continue;
      out.push(`| ${doc.title} | ${r} | ${cells.join(' | ')} |`);
    }
  }
  out.push('');

  for (const doc of results.documents) out.push(...renderDocument(doc));
  return `${out.join('\n')}\n`;
}

/**
 * Met when apiwarden's F1 at the aim's level is at least AIM.f1 and above
 * every peer's (or both are 1: a document of static paths only, Slack's, can
 * be learned perfectly by anyone); a peer that saw only the first N requests
 * is compared with apiwarden on the same N.
 */
function aimVerdict(level: LevelResult): string {
  const ours = okRun(level.runs.apiwarden);
  if (ours === null) return '–';
  let ahead = true;
  const failed: string[] = [];
  const tied: string[] = [];
  for (const r of RECONSTRUCTIONS) {
    if (r === 'apiwarden') continue;
    const peer = okRun(level.runs[r]);
    if (peer === null) {
      if (level.runs[r] !== undefined) failed.push(r);
      continue;
    }
    const like = peer.sawRequests < level.requests ? okRun(level.prefixRuns.find((p) => p.requests === peer.sawRequests)?.run) : ours;
    if (like === null) ahead = false;
    // A perfect score cannot be beaten: a tie at 1 counts as ahead.
    else if (like.score.f1 === 1 && peer.score.f1 === 1) tied.push(r);
    else if (like.score.f1 <= peer.score.f1) ahead = false;
  }
  const met = level.mean === AIM.mean && ours.score.f1 >= AIM.f1 && ahead;
  const notes = [`F1 ${f3(ours.score.f1)}`, ahead ? 'ahead' : 'not ahead'];
  if (tied.length > 0) notes.push(`tied at 1 with ${tied.join(', ')}`);
  if (failed.length > 0) notes.push(`${failed.join(', ')} failed`);
  if (level.mean !== AIM.mean) notes.push(`at ${level.mean}/endpoint`);
  return `${met ? 'met' : 'not met'} (${notes.join(', ')})`;
}

function renderDocument(doc: DocumentResult): string[] {
  const out: string[] = [];
  out.push(`## ${doc.title}`, '');
  out.push(`${code(doc.file)} (${doc.format}): ${int(doc.operations)} operations → ${int(doc.endpoints)} endpoints, ${doc.enumEndpoints} of them with an enum path parameter; every request to ${code(doc.host)}; loaded in ${Math.round(doc.loadMs)} ms.`);
  if (doc.duplicates.length > 0) out.push(`Set aside (same endpoint key as an earlier operation): ${doc.duplicates.slice(0, 5).map(code).join(', ')}${doc.duplicates.length > 5 ? ` and ${doc.duplicates.length - 5} more` : ''}.`);
  if (doc.parameterKinds.length > 0) {
    out.push('', 'Path parameter values generated: ' + doc.parameterKinds.map((k) =>
      `${k.kind} (${k.parameters.slice(0, 4).map(code).join(', ')}${k.parameters.length > 4 ? ', …' : ''}: ${code(k.example)})`).join('; ') + '.');
  }
  out.push('');
  out.push('| req/endpoint | requests (endpoints hit) | reconstruction | precision | recall | F1 | F1 strict | F1 w/o enum | wrong merges | wrong splits | request accuracy | templates | time |');
  out.push('| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const level of doc.levels) {
    for (const r of RECONSTRUCTIONS) {
      const run = level.runs[r];
      if (run === undefined) continue;
      const head = `| ${level.mean} | ${int(level.requests)} (${int(level.endpointsWithTraffic)}) | ${r}`;
      if (!run.ok) {
        out.push(`${head} | ${run.reason.replace(/\|/g, '\\|')} | | | | | | | | | |`);
        continue;
      }
      const saw = run.sawRequests < level.requests ? ` (first ${int(run.sawRequests)})` : '';
      out.push(`${head}${saw}${scoreCells(run)}`);
    }
    for (const prefix of level.prefixRuns) {
      if (prefix.run.ok) out.push(`| ${level.mean} | ${int(level.requests)} (${int(level.endpointsWithTraffic)}) | apiwarden (first ${int(prefix.requests)}, as the peer)${scoreCells(prefix.run)}`);
    }
  }
  out.push('');
  const top = doc.levels.at(-1);
  if (top !== undefined) {
    for (const r of RECONSTRUCTIONS) {
      const run = okRun(top.runs[r]);
      if (run === null) continue;
      out.push(...renderWorst(`${r}, ${top.mean} requests/endpoint`, run.score));
    }
  }
  return out;
}

function scoreCells(run: RunResult & { ok: true }): string {
  const s = run.score;
  // results written before the enum-aware headline have no `strict`: their F1 was strict
  const strict = (s as Partial<Score>).strict ?? s;
  const time = run.ms < 1000 ? `${Math.round(run.ms)} ms` : `${(run.ms / 1000).toFixed(1)} s`;
  return ` | ${f3(s.precision)} | ${f3(s.recall)} | **${f3(s.f1)}** | ${f3(strict.f1)} | ${f3(s.withoutEnum.f1)} | ${s.wrongMerges} | ${s.wrongSplits} | ${pct(s.requestAccuracy)} | ${int(run.templates)} | ${time} |`;
}

function counted(list: readonly Counted[]): string {
  return list.map((c) => `${code(c.key)} (${c.requests})`).join(', ');
}

function renderWorst(title: string, s: Score): string[] {
  if (s.merges.length + s.splits.length + s.misses.length === 0) return [`Worst cases (${title}): none.`, ''];
  const out = [`<details><summary>Worst cases (${title})</summary>`, ''];
  if (s.merges.length > 0) {
    out.push(`Wrong merges (${s.wrongMerges}; learned endpoint ← document endpoints it absorbed):`, '');
    for (const m of s.merges) out.push(`- ${code(m.learned)} ← ${m.endpoints} endpoints: ${counted(m.document)}${m.endpoints > m.document.length ? ', …' : ''}`);
    out.push('');
  }
  if (s.splits.length > 0) {
    out.push(`Wrong splits (${s.wrongSplits}; document endpoint → learned endpoints):`, '');
    for (const sp of s.splits) out.push(`- ${code(sp.document)} → ${sp.parts} endpoints: ${counted(sp.learned)}${sp.parts > sp.learned.length ? ', …' : ''}`);
    out.push('');
  }
  if (s.misses.length > 0) {
    out.push('Missed endpoints (none of their requests mapped to them; where most went):', '');
    for (const m of s.misses) out.push(`- ${code(m.document)} (${m.requests} requests) → ${code(m.learned.key)} (${m.learned.requests})`);
    out.push('');
  }
  out.push('</details>', '');
  return out;
}

// ---------------------------------------------------------------- SVG

const PANEL = { w: 330, h: 220, left: 40, right: 12, top: 28, bottom: 30 } as const;

/** Small multiples: one panel per document, F1 against requests per endpoint (log scale). */
export function renderSvg(results: Results): string {
  const docs = results.documents;
  const cols = Math.min(2, Math.max(1, docs.length));
  const rows = Math.ceil(docs.length / cols);
  const legendH = 24;
  const width = Math.max(cols * PANEL.w, RECONSTRUCTIONS.length * 140 + 140);
  const height = rows * PANEL.h + legendH;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`);
  parts.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  RECONSTRUCTIONS.forEach((r, i) => {
    const x = 10 + i * 140;
    parts.push(`<line x1="${x}" y1="12" x2="${x + 20}" y2="12" stroke="${COLORS[r]}" stroke-width="2"/><text x="${x + 25}" y="16">${r}</text>`);
  });
  const aimX = 10 + RECONSTRUCTIONS.length * 140;
  parts.push(`<line x1="${aimX}" y1="12" x2="${aimX + 20}" y2="12" stroke="#999" stroke-dasharray="4 3"/><text x="${aimX + 25}" y="16">aim ${AIM.f1}</text>`);
  docs.forEach((doc, i) => {
    const ox = (i % cols) * PANEL.w;
    const oy = legendH + Math.floor(i / cols) * PANEL.h;
    parts.push(...panel(doc, ox, oy));
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

function panel(doc: DocumentResult, ox: number, oy: number): string[] {
  const levels = doc.levels.map((l) => l.mean);
  const minL = Math.log10(Math.min(...levels, 1));
  const maxL = Math.log10(Math.max(...levels, 2));
  const pw = PANEL.w - PANEL.left - PANEL.right;
  const ph = PANEL.h - PANEL.top - PANEL.bottom;
  const x = (m: number): number => ox + PANEL.left + ((Math.log10(m) - minL) / (maxL - minL || 1)) * pw;
  const y = (v: number): number => oy + PANEL.top + (1 - v) * ph;
  const out: string[] = [];
  out.push(`<text x="${ox + PANEL.left}" y="${oy + 16}" font-weight="bold">${escapeXml(doc.title)}</text>`);
  for (const v of [0, 0.25, 0.5, 0.75, 1]) {
    out.push(`<line x1="${ox + PANEL.left}" y1="${y(v)}" x2="${ox + PANEL.left + pw}" y2="${y(v)}" stroke="#ddd"/>`);
    out.push(`<text x="${ox + PANEL.left - 4}" y="${y(v) + 4}" text-anchor="end">${v}</text>`);
  }
  out.push(`<line x1="${ox + PANEL.left}" y1="${y(AIM.f1)}" x2="${ox + PANEL.left + pw}" y2="${y(AIM.f1)}" stroke="#999" stroke-dasharray="4 3"/>`);
  for (const m of levels) out.push(`<text x="${x(m)}" y="${oy + PANEL.h - 16}" text-anchor="middle">${m}</text>`);
  out.push(`<text x="${ox + PANEL.left + pw / 2}" y="${oy + PANEL.h - 3}" text-anchor="middle" fill="#555">requests per endpoint → F1</text>`);
  for (const r of RECONSTRUCTIONS) {
    const points = doc.levels.flatMap((l) => {
      const run = okRun(l.runs[r]);
      return run === null ? [] : [[x(l.mean), y(run.score.f1)] as const];
    });
    if (points.length === 0) continue;
    out.push(`<polyline fill="none" stroke="${COLORS[r]}" stroke-width="2" points="${points.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(' ')}"/>`);
    for (const [px, py] of points) out.push(`<circle cx="${px.toFixed(1)}" cy="${py.toFixed(1)}" r="2.5" fill="${COLORS[r]}"/>`);
  }
  return out;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c] as string);
}
