/** The shape of bench/discovery/results/<time>.json, written by run.ts and read by report.ts. */

import type { Score } from './score.ts';

export const RECONSTRUCTIONS = ['apiwarden', 'har-to-openapi', 'optic'] as const;
export type Reconstruction = (typeof RECONSTRUCTIONS)[number];

export type RunResult =
  | {
    ok: true;
    score: Score;
    /** requests it was given (peers: the first `peerCap` of the traffic) */
    sawRequests: number;
    /** learning + mapping time */
    ms: number;
    /** templates it reported (apiwarden: templates(); peers: paths × methods of its document) */
    templates: number;
  }
  | { ok: false; reason: string };

export interface LevelResult {
  /** requests per endpoint (the mean) */
  mean: number;
  requests: number;
  endpointsWithTraffic: number;
  redraws: number;
  dropped: number;
  runs: Partial<Record<Reconstruction, RunResult>>;
  /**
   * apiwarden again on only the first N requests, for each N at which a
   * peer was cut short: the like-for-like comparison with that peer
   */
  prefixRuns: Array<{ requests: number; run: RunResult }>;
}

export interface DocumentResult {
  id: string;
  title: string;
  file: string;
  format: string;
  host: string;
  operations: number;
  endpoints: number;
  enumEndpoints: number;
  /** operations set aside because another one had the same endpoint key */
  duplicates: string[];
  loadMs: number;
  /** what the generator made of the document's path parameters: kind → parameter names with an example value */
  parameterKinds: Array<{ kind: string; parameters: string[]; example: string }>;
  levels: LevelResult[];
}

export interface Results {
  startedAt: string;
  finishedAt: string;
  seed: string;
  levels: number[];
  /** per peer: the levels it ran at and the most requests it was given (the first N of the traffic) */
  peerSettings: Record<Exclude<Reconstruction, 'apiwarden'>, { levels: number[]; cap: number }>;
  peerTimeoutS: number;
  machine: { cpus: number; model: string; kernel: string };
  node: string;
  templater: string;
  /** sha256 (12 hex) of the templater's folder, tests left out */
  templaterFingerprint: string;
  peers: { 'har-to-openapi': { version: string; options: Record<string, unknown> }; optic: { version: string | null; note: string } };
  documents: DocumentResult[];
  skipped: string[];
}
