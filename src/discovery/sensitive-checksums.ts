/**
 * Check digits and structure rules of the identifiers that sensitive-value
 * classification recognises. Each function takes the compact form (no
 * spaces or dashes) and is linear in its input, with no regular expression:
 * these run on every candidate string of a sampled body.
 */

function isDigitCode(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** true when every character is an ASCII digit (and there is at least one) */
export function isAllDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isDigitCode(s.charCodeAt(i))) return false;
  return true;
}

/** The Luhn check of ISO/IEC 7812-1 (annex B): the last digit makes the weighted sum a multiple of 10. */
export function luhnValid(digits: string): boolean {
  if (!isAllDigits(digits)) return false;
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

export type CardBrand = 'visa' | 'mastercard' | 'amex' | 'discover' | 'jcb' | 'diners' | 'unionpay' | 'maestro' | 'mir';

/**
 * Issuer identification number ranges (ISO/IEC 7812-1; the networks' published
 * ranges) with the lengths each network issues. A number outside these is
 * not treated as a card even when Luhn-valid: most Luhn-valid digit strings
 * are ids, and 1 in 10 random ones pass the check.
 */
const BRANDS: ReadonlyArray<{ brand: CardBrand; ranges: ReadonlyArray<readonly [string, string]>; lengths: readonly number[] }> = [
  { brand: 'visa', ranges: [['4', '4']], lengths: [13, 16, 19] },
  { brand: 'mastercard', ranges: [['51', '55'], ['2221', '2720']], lengths: [16] },
  { brand: 'amex', ranges: [['34', '34'], ['37', '37']], lengths: [15] },
  { brand: 'discover', ranges: [['6011', '6011'], ['644', '649'], ['65', '65']], lengths: [16, 17, 18, 19] },
  { brand: 'jcb', ranges: [['3528', '3589']], lengths: [16, 17, 18, 19] },
  { brand: 'diners', ranges: [['300', '305'], ['3095', '3095'], ['36', '36'], ['38', '39']], lengths: [14, 15, 16, 17, 18, 19] },
  { brand: 'unionpay', ranges: [['62', '62']], lengths: [16, 17, 18, 19] },
  { brand: 'maestro', ranges: [['5018', '5018'], ['5020', '5020'], ['5038', '5038'], ['5893', '5893'], ['6304', '6304'],
    ['6759', '6759'], ['6761', '6763']], lengths: [13, 14, 15, 16, 17, 18, 19] },
  { brand: 'mir', ranges: [['2200', '2204']], lengths: [16, 17, 18, 19] },
];

/** The network of a card number by its IIN prefix and length, or null. Does not check Luhn. */
export function cardBrand(digits: string): CardBrand | null {
  for (const { brand, ranges, lengths } of BRANDS) {
    if (!lengths.includes(digits.length)) continue;
    for (const [low, high] of ranges) {
      const prefix = digits.slice(0, low.length);
      if (prefix >= low && prefix <= high) return brand;
    }
  }
  return null;
}

/** A payment card number: 13–19 digits, a known IIN range for that length, Luhn-valid. */
export function isCardNumber(digits: string): boolean {
  return digits.length >= 13 && digits.length <= 19 && isAllDigits(digits) && cardBrand(digits) !== null && luhnValid(digits);
}

/**
 * IBAN lengths by country, from the SWIFT IBAN registry (the registration
 * authority of ISO 13616), release 2024. Countries outside the registry
 * (experimental "IBAN-like" formats) are not recognised.
 */
const IBAN_LENGTHS: ReadonlyMap<string, number> = new Map(Object.entries({
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29, BY: 28,
  CH: 21, CR: 22, CY: 28, CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18,
  FK: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HN: 28, HR: 21, HU: 28,
  IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20,
  LU: 20, LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MN: 20, MR: 27, MT: 31, MU: 30, NI: 28,
  NL: 18, NO: 15, OM: 23, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, RU: 33, SA: 24,
  SC: 31, SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, SO: 23, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26,
  UA: 29, VA: 22, VG: 24, XK: 20, YE: 30,
}));

export const IBAN_MIN_LENGTH = 15;
export const IBAN_MAX_LENGTH = 34;

/**
 * An IBAN in electronic format (upper case, no spaces), ISO 13616-1: a
 * registered country code, two check digits, a BBAN of digits and capital
 * letters of the registered length, and the ISO 7064 MOD 97-10 check: with
 * the first four characters moved to the end and letters as 10..35, the
 * number is 1 modulo 97.
 */
export function isIban(iban: string): boolean {
  const expected = IBAN_LENGTHS.get(iban.slice(0, 2));
  if (expected === undefined || iban.length !== expected) return false;
  if (!isDigitCode(iban.charCodeAt(2)) || !isDigitCode(iban.charCodeAt(3))) return false;
  let remainder = 0;
  for (let k = 0; k < iban.length; k++) {
    const i = (k + 4) % iban.length;
    const c = iban.charCodeAt(i);
    if (isDigitCode(c)) remainder = (remainder * 10 + (c - 48)) % 97;
    else if (c >= 65 && c <= 90) remainder = (remainder * 100 + (c - 55)) % 97;
    else return false;
  }
  return remainder === 1;
}

/**
 * A US Social Security number, "AAA-GG-SSSS" as digits "AAAGGSSSS". The SSA
 * never issues area 000, 666 or 900–999 (9xx are ITINs), group 00 or serial
 * 0000 (SSA, "Social Security Number Randomization", 2011). Numbers voided
 * after publication (078-05-1120, the "Woolworth" number) still pass: they
 * appear in test data for SSN fields, which is what a finding is about.
 */
export function isSsn(digits: string): boolean {
  if (digits.length !== 9 || !isAllDigits(digits)) return false;
  const area = digits.slice(0, 3);
  if (area === '000' || area === '666' || area[0] === '9') return false;
  return digits.slice(3, 5) !== '00' && digits.slice(5) !== '0000';
}

const NINO_BAD_FIRST = 'DFIQUV';
const NINO_BAD_SECOND = 'DFIOQUV';
const NINO_BAD_PREFIXES = new Set(['BG', 'GB', 'KN', 'NK', 'NT', 'TN', 'ZZ']);

/**
 * A UK National Insurance number, "QQ123456C" (HMRC manual NIM39110): two
 * prefix letters (not D, F, I, Q, U or V; the second not O either; BG, GB,
 * KN, NK, NT, TN and ZZ never allocated), six digits, a suffix A–D. There is
 * no check digit, so the letter rules are all there is.
 */
export function isNino(compact: string): boolean {
  if (compact.length !== 9) return false;
  const a = compact[0]!;
  const b = compact[1]!;
  if (!isUpper(a) || !isUpper(b) || NINO_BAD_FIRST.includes(a) || NINO_BAD_SECOND.includes(b)) return false;
  if (NINO_BAD_PREFIXES.has(a + b)) return false;
  if (!isAllDigits(compact.slice(2, 8))) return false;
  const suffix = compact[8]!;
  return suffix >= 'A' && suffix <= 'D';
}

function isUpper(c: string): boolean {
  return c >= 'A' && c <= 'Z';
}

const DNI_LETTERS = 'TRWAGMYFPDXBNJZSQVHLCKE';

/**
 * A Spanish DNI ("12345678Z") or NIE ("X1234567L"): the letter is the number
 * modulo 23 looked up in TRWAGMYFPDXBNJZSQVHLCKE; for a NIE the leading
 * X, Y, Z stand for 0, 1, 2 (Real Decreto 1553/2005 and Orden INT/2058/2008).
 */
export function isSpanishId(compact: string): boolean {
  if (compact.length !== 9) return false;
  let body = compact.slice(0, 8);
  const lead = 'XYZ'.indexOf(body[0]!);
  if (lead >= 0) body = String(lead) + body.slice(1);
  if (!isAllDigits(body)) return false;
  return DNI_LETTERS[Number(body) % 23] === compact[8];
}
