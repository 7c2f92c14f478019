/**
 * When the static children of one node are really the values of a parameter:
 * the statistics behind the path templater (templater.ts), as pure functions
 * of counters so that they can be read, tested and tuned alone.
 *
 * The counters, per group of shapes, over the static children of one node:
 *   distinct  how many different children,
 *   total     requests through them,
 *   once      children seen exactly once, twice: exactly twice.
 *
 * The idea (Good 1953, Chao 1984): `once / total` estimates how likely the
 * next request is to bring a value never seen before. Static words are a
 * small vocabulary that traffic keeps repeating, so that share falls fast as
 * requests come in (Slack's ~170 methods under '/api', Stripe's ~100
 * collections under '/v1': a few requests each and nearly every word has been
 * seen twice). Parameter values come from a population of thousands or
 * millions, so nearly every request brings a new one. A position becomes a
 * parameter when it has seen enough distinct values for the share to mean
 * something, and the share is high.
 *
 * How many distinct values are "enough" depends on where the position is
 * (REST paths alternate collection and identifier):
 *   after a plural word ('/users/…', '/orders/…')      5: identifiers usually follow;
 *   after a singular word                                8;
 *   after a parameter ('/users/{id}/…')                 10: usually a sub-resource name,
 *                                                          but '/repos/{owner}/{repo}' exists;
 *   at the top, after a version or a host              12: API roots and RPC method lists.
 */

export const GROUP_ID = 0;
export const GROUP_NUM = 1;
export const GROUP_TIME = 2;
export const GROUP_WORD = 3;
/** empty segments: always static */
export const GROUP_NONE = 4;

export const CONTEXT_TOP = 0;
export const CONTEXT_PLURAL = 1;
export const CONTEXT_SINGULAR = 2;
export const CONTEXT_AFTER_PARAM = 3;
export const CONTEXT_HOST = 4;

export interface GroupCounts {
  distinct: number;
  total: number;
  once: number;
  twice: number;
}

const MIN_DISTINCT_WORDS = [12, 5, 8, 10, 8];

/** Should the word-like children (words, slugs, other) of a node become one parameter? */
export function shouldMergeWords(counts: GroupCounts, context: number): boolean {
  const minDistinct = MIN_DISTINCT_WORDS[context] ?? 8;
  if (counts.distinct < minDistinct) return false;
  // most requests bring a value never seen before
  if (counts.once * 2 >= counts.total) return true;
  // a population much larger than what has been seen (Chao1: distinct + once² / (2·twice)),
  // for values drawn with repeats (a few popular owners, many rare ones)
  const unseen = (counts.once * (counts.once - 1)) / (2 * (counts.twice + 1));
  return counts.distinct >= minDistinct * 2 && counts.once * 3 >= counts.total && unseen >= counts.distinct * 2;
}

/**
 * Short integers ('/issues/7'): an identifier as soon as three different ones
 * are seen rarely; one or two recurring integers may be versions ('/2/tweets').
 */
export function shouldMergeIntegers(counts: GroupCounts): boolean {
  if (counts.distinct >= 8) return true;
  return counts.distinct >= 3 && (counts.once + counts.twice) * 2 >= counts.distinct;
}

/**
 * Dates and versions stay static ('/2010-04-01/Accounts', '/v1', '/2.0'),
 * unless a position sees many of them, each rarely ('/reports/{date}', '/tags/v1.2.3').
 */
export function shouldMergeTimes(counts: GroupCounts): boolean {
  if (counts.distinct >= 16) return true;
  return counts.distinct >= 6 && (counts.once + counts.twice) * 2 >= counts.distinct;
}

/**
 * Is a word that a parameter absorbed really a static sibling? Only when its
 * requests go where the parameter's other values rarely go ('/users/me/settings'
 * beside '/users/{id}/repos'): `novel` is the share of its profiled requests
 * whose next step the other values take less than NOVEL_SHARE of the time.
 */
export const NOVEL_SHARE = 0.02;
export const PEEL_MIN_REQUESTS = 8;

export function shouldPeel(profiled: number, novel: number): boolean {
  return profiled >= PEEL_MIN_REQUESTS && novel * 2 >= profiled;
}
