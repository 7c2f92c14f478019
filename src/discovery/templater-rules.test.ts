import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CONTEXT_PLURAL,
  CONTEXT_TOP,
  countOutliers,
  isOwnEndpoint,
  MERGE_ALL,
  MERGE_BUT_HEAVY,
  MERGE_NO,
  shouldMergeChosen,
  shouldMergeFileNames,
  shouldMergeIntegers,
  shouldMergeTimes,
  shouldMergeWords,
  shouldSplitWords,
} from './templater-rules.ts';
import { shapeCode } from './segment-shapes.ts';
import { chosenKind, groupOf } from './templater-tree.ts';

const noHeavy = () => ({ count: 0, total: 0 });

describe('shouldMergeWords', () => {
  it('merges values that nearly never repeat once enough are seen for the position', () => {
    assert.equal(shouldMergeWords({ distinct: 6, total: 6, once: 6, twice: 0 }, CONTEXT_PLURAL, 0, noHeavy), MERGE_ALL);
    assert.equal(shouldMergeWords({ distinct: 6, total: 6, once: 6, twice: 0 }, CONTEXT_TOP, 0, noHeavy), MERGE_NO);
    assert.equal(shouldMergeWords({ distinct: 16, total: 16, once: 16, twice: 0 }, CONTEXT_TOP, 0, noHeavy), MERGE_ALL);
  });
  it('keeps a vocabulary that repeats', () => {
    assert.equal(shouldMergeWords({ distinct: 60, total: 600, once: 5, twice: 5 }, CONTEXT_TOP, 0, noHeavy), MERGE_NO);
    assert.equal(shouldMergeWords({ distinct: 20, total: 40, once: 12, twice: 4 }, CONTEXT_PLURAL, 0, noHeavy), MERGE_NO);
  });
  it('sets a few heavy static siblings aside (/invoices/upcoming beside ids)', () => {
    const counts = { distinct: 21, total: 220, once: 20, twice: 0 };
    assert.equal(shouldMergeWords(counts, CONTEXT_PLURAL, 0, () => ({ count: 1, total: 200 })), MERGE_BUT_HEAVY);
  });
  it('asks for more after each split back', () => {
    const counts = { distinct: 10, total: 10, once: 10, twice: 0 };
    assert.equal(shouldMergeWords(counts, CONTEXT_PLURAL, 0, noHeavy), MERGE_ALL);
    assert.equal(shouldMergeWords(counts, CONTEXT_PLURAL, 1, noHeavy), MERGE_NO);
  });
});

describe('integers, dates and versions', () => {
  it('merges short integers from three rare ones, keeps one or two recurring', () => {
    assert.equal(shouldMergeIntegers({ distinct: 3, total: 3, once: 3, twice: 0 }), true);
    assert.equal(shouldMergeIntegers({ distinct: 2, total: 500, once: 0, twice: 0 }), false);
  });
  it('keeps a few versions or dates, merges many rare ones', () => {
    assert.equal(shouldMergeTimes({ distinct: 3, total: 3, once: 3, twice: 0 }, CONTEXT_PLURAL), false);
    assert.equal(shouldMergeTimes({ distinct: 6, total: 7, once: 5, twice: 1 }, CONTEXT_PLURAL), true);
  });
  it('keeps a dozen versions at the root, each first seen rarely, static (/v1 … /v13)', () => {
    assert.equal(shouldMergeTimes({ distinct: 13, total: 20, once: 8, twice: 3 }, CONTEXT_TOP), false);
    assert.equal(shouldMergeTimes({ distinct: 13, total: 13, once: 13, twice: 0 }, CONTEXT_TOP), false);
    // a date parameter at the root still turns: many dates, nearly all new
    assert.equal(shouldMergeTimes({ distinct: 40, total: 42, once: 38, twice: 2 }, CONTEXT_TOP), true);
    // and with a few days read far more often than the rest (/dailyUsage/2020-08-03), from 32 dates
    assert.equal(shouldMergeTimes({ distinct: 40, total: 70, once: 30, twice: 6 }, CONTEXT_TOP), true);
    assert.equal(shouldMergeTimes({ distinct: 31, total: 60, once: 28, twice: 3 }, CONTEXT_TOP), false);
  });
});

describe('shouldSplitWords', () => {
  it('splits words that turned out to recur, not a population still unfolding', () => {
    assert.equal(shouldSplitWords({ distinct: 60, total: 3000, once: 10, twice: 5 }), true);
    assert.equal(shouldSplitWords({ distinct: 200, total: 260, once: 150, twice: 40 }), false);
  });
});

describe('countOutliers', () => {
  it('finds the few values far above the rest', () => {
    assert.equal(countOutliers([40, 1, 2, 1, 1, 2, 1, 1, 1, 2], 32, 8, 4), 1);
    assert.equal(countOutliers([90, 80, 2, 1, 1, 2, 1, 1, 1, 2, 1], 32, 8, 4), 2);
  });
  it('finds none in a Zipf head, or when too few values lie below', () => {
    assert.equal(countOutliers([64, 32, 21, 16, 13, 11, 9, 8, 7, 6, 6], 32, 8, 4), 0);
    assert.equal(countOutliers([100, 1, 1], 32, 8, 4), 0);
  });
});

describe('isOwnEndpoint', () => {
  it('takes a word that only ever ends with one method the other values rarely use', () => {
    // 14 GETs ending at 'public-key', where the secret names send 7 % of their requests
    assert.equal(isOwnEndpoint(14, 14, 0.07, 2 * 14 * Math.log(1 / 0.07)), true);
  });
  it('not a value keeping to a step the other values use a lot, nor one that spreads', () => {
    assert.equal(isOwnEndpoint(48, 48, 0.67, 38), false);
    assert.equal(isOwnEndpoint(20, 10, 0.05, 60), false);
    assert.equal(isOwnEndpoint(8, 8, 0.01, 70), false);
  });
});

describe('shouldMergeChosen', () => {
  it('merges ten or more rare values when a quarter are chosen names of two kinds', () => {
    assert.equal(shouldMergeChosen(14, 12, 7, 2), true);
    assert.equal(shouldMergeChosen(14, 12, 7, 1), false);
    assert.equal(shouldMergeChosen(9, 9, 9, 3), false);
    assert.equal(shouldMergeChosen(20, 4, 10, 3), false);
    assert.equal(shouldMergeChosen(40, 30, 6, 3), false);
  });

  it('merges on one kind when a quarter are names with a space or with digits beside words', () => {
    assert.equal(shouldMergeChosen(16, 10, 4, 1, 4), true);
    assert.equal(shouldMergeChosen(17, 10, 4, 1, 4), false);
    assert.equal(shouldMergeChosen(12, 5, 6, 1, 6), false);
    assert.equal(shouldMergeChosen(9, 9, 9, 1, 9), false);
  });
});

describe('chosenKind', () => {
  const kind = (value: string): number => chosenKind(value, groupOf(shapeCode(value), value));
  it('tells names people choose from an API\'s own words', () => {
    for (const value of ['fix-granite-2', 'release-1.19', 'v3.19.17', 'Olive-Crystal', 'moss7', 'lagoon brook', 'koala-65']) assert.notEqual(kind(value), 0, value);
    for (const value of ['payment_intents', 'chat.postMessage', 'code-scanning', 'public-key', 'oauth', 'master.m3u8', 'stream.con_gBfSNXYn9kpxsOJ2', 'AdditionalParts']) assert.equal(kind(value), 0, value);
  });
});

describe('shouldMergeFileNames', () => {
  it('takes many file names of many stems and extensions for values', () => {
    assert.equal(shouldMergeFileNames(8, 8, 8, 4), true);
  });
  it('keeps one stem in several formats, RPC method names and a few files static', () => {
    // 'report.json', 'report.csv' …: one stem ('report.{}' is another rule)
    assert.equal(shouldMergeFileNames(8, 8, 1, 6), false);
    // 'users.list', 'users.info', 'files.list' …: no known extension, stems repeat
    assert.equal(shouldMergeFileNames(12, 12, 4, 0), false);
    assert.equal(shouldMergeFileNames(5, 5, 5, 4), false);
    // mostly plain words beside a few files
    assert.equal(shouldMergeFileNames(20, 6, 6, 4), false);
  });
});
