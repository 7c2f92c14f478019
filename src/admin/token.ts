/**
 * The admin bearer token check. Both sides are hashed before a
 * constant-time comparison, so neither the token's length nor its prefix
 * leaks through timing; the token itself is never logged or echoed.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export type TokenCheck = (authorization: string | undefined) => boolean;

export function createTokenCheck(token: string): TokenCheck {
  const expected = createHash('sha256').update(token, 'utf8').digest();
  return (authorization) => {
    if (authorization === undefined) return false;
    // RFC 6750 §2.1: the scheme is case-insensitive, one space, then the token
    const m = /^bearer +(\S+)\s*$/i.exec(authorization);
    if (m === null) return false;
    const given = createHash('sha256').update(m[1]!, 'utf8').digest();
    return timingSafeEqual(given, expected);
  };
}
