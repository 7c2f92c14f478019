/**
 * Telephone numbers as people and APIs write them. Most integers in API
 * traffic (ids, timestamps, amounts, counters) have as many digits as a
 * phone number, so a bare digit string is a phone only when the field name
 * says so. Otherwise a value must carry the marks of phone formatting:
 *
 * - international: "+" and 7 to 15 digits (ITU-T E.164 §6: at most 15
 *   digits, country codes do not start with 0), with or without separators;
 * - North American (NANP, ITU-T E.164 country code 1): (NXX) NXX-XXXX, with
 *   N in 2–9, optionally after a leading 1;
 * - national with a trunk prefix: 0 then 8 to 11 more digits, in groups of
 *   two or more ("020 7946 0958", "06 12 34 56 78", "030 1234567"); or the
 *   international access prefix 00 before an E.164 number.
 *
 * This rejects ISBNs, dates ("2024-01-15", "01.02.2024"), versions, IPv4
 * addresses, decimals and thousands-grouped numbers ("1 234 567"), at the
 * price of national numbers written without a trunk prefix outside North
 * America (Spain "912 345 678", Italian mobiles), which need the name.
 */

interface PhoneShape {
  plus: boolean;
  /** lengths of the digit groups, in order */
  groups: number[];
  /** index of the group written in parentheses, or -1 */
  paren: number;
  /** the digits alone */
  digits: string;
  /** true when '.' separated two groups */
  hasDot: boolean;
}

const MAX_PHONE_LENGTH = 32;

/** Splits a value into digit groups; null when it has anything but digits, separators, one leading "+" and one parenthesised group. */
function phoneShape(value: string): PhoneShape | null {
  const n = value.length;
  if (n < 7 || n > MAX_PHONE_LENGTH) return null;
  const plus = value.charCodeAt(0) === 43;
  const groups: number[] = [];
  let digits = '';
  let run = 0;
  let paren = -1;
  let inParen = false;
  let afterParen = false;
  let hasDot = false;
  for (let i = plus ? 1 : 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      run++;
      afterParen = false;
      continue;
    }
    if (c === 40) { // (
      if (paren !== -1 || run > 0) return null;
      inParen = true;
      paren = groups.length;
      continue;
    }
    if (run > 0) {
      digits += value.slice(i - run, i);
      groups.push(run);
      run = 0;
    } else if (!afterParen) {
      return null; // two separators in a row, or one at the start
    }
    if (c === 41) { // )
      if (!inParen || paren !== groups.length - 1) return null;
      inParen = false;
      afterParen = true;
    } else if (c === 32 || c === 45 || c === 46) { // space - .
      if (inParen) return null;
      if (c === 46) hasDot = true;
      afterParen = false;
    } else {
      return null;
    }
  }
  if (inParen || run === 0) return null;
  digits += value.slice(n - run);
  groups.push(run);
  return { plus, groups, paren, digits, hasDot };
}

function isNanp(shape: PhoneShape): boolean {
  let { groups, digits } = shape;
  if (groups.length === 4 && groups[0] === 1 && digits[0] === '1') {
    groups = groups.slice(1);
    digits = digits.slice(1);
  }
  if (groups.length !== 3 || groups[0] !== 3 || groups[1] !== 3 || groups[2] !== 4) return false;
  return digits[0]! >= '2' && digits[3]! >= '2';
}

function isTrunkPrefixed(shape: PhoneShape): boolean {
  const { groups, digits } = shape;
  if (digits[0] !== '0' || groups.length < 2) return false;
  // a dot-separated pair is a decimal; dotted quads are addresses or versions
  if (shape.hasDot && (groups.length < 3 || (groups.length === 4 && groups.every((g) => g <= 3)))) return false;
  if (digits[1] === '0') return digits.length >= 10 && digits.length <= 17 && digits[2] !== '0'; // 00 + E.164
  return digits.length >= 9 && digits.length <= 12 && groups.every((g) => g >= 2);
}

/**
 * true when the value is written as a telephone number. With `named` (the
 * field name says phone), any 7 to 15 digits with phone punctuation count.
 */
export function isPhone(value: string, named = false): boolean {
  const shape = phoneShape(value);
  if (!shape) return false;
  const d = shape.digits.length;
  if (shape.plus) {
    // E.164: no country code starts with 0; a compact "+1234567" is as likely a signed count
    return shape.digits[0] !== '0' && d <= 15 && d >= (shape.groups.length === 1 ? 8 : 7);
  }
  if (named) return d >= 7 && d <= 15;
  if (shape.groups.length < 2) return false;
  return isNanp(shape) || isTrunkPrefixed(shape);
}

/** The digits of a phone number with a leading "+" kept: the form masking works on. */
export function phoneDigits(value: string): string {
  let out = value.startsWith('+') ? '+' : '';
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 48 && c <= 57) out += value[i];
  }
  return out;
}
