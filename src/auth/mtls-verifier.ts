/**
 * Mutual TLS (OpenAPI `mutualTLS` security scheme): the client is who its
 * verified certificate says it is.
 *
 * The TLS listener asks for a client certificate and checks its chain
 * against the configured CAs (`requestCert`, with `rejectUnauthorized: false`
 * so that routes without mTLS still answer); this verifier takes the
 * outcome of that check (`peerCertificateAuthorized`) and:
 * - refuses a certificate the listener did not verify;
 * - checks validity dates against the request clock too: a connection kept
 *   alive outlives the handshake that checked them;
 * - maps the certificate to a name: the subject CN, or the first SAN of one
 *   type (DNS, email, URI) in certificate order. A certificate with several
 *   CNs, or none, or an empty or control-character name, is refused;
 * - when `allow` is not empty, accepts only the names listed there (exact,
 *   case-sensitive).
 */
import type { PeerCertificate } from 'node:tls';
import { deepFreeze } from './bearer-token.ts';
import type { AuthOutcome, AuthRequest, SchemeVerifier } from './types.ts';

export type MtlsPrincipalSource = 'subject-cn' | 'san-dns' | 'san-email' | 'san-uri';

export interface MtlsVerifierOptions {
  /** key of components.securitySchemes */
  scheme: string;
  /** which part of the certificate names the principal */
  principalFrom: MtlsPrincipalSource;
  /** principal names allowed; empty or absent = any verified certificate */
  allow?: readonly string[];
  /** roles per principal name */
  roles?: Readonly<Record<string, readonly string[]>>;
}

const MISSING: AuthOutcome = Object.freeze({ result: 'missing' });
const CONTROL = /[\x00-\x1f\x7f]/;
const SAN_PREFIX: Record<Exclude<MtlsPrincipalSource, 'subject-cn'>, string> = {
  'san-dns': 'DNS',
  'san-email': 'email',
  'san-uri': 'URI',
};

/**
 * Splits Node's `subjectaltname` string ("DNS:a.example, URI:spiffe://x")
 * into [type, value] pairs. Since CVE-2021-44532 Node writes a value that
 * holds ',' or other ambiguous characters as a JSON string literal
 * (`URI:"http://a/b\u002c DNS:evil"`): such a value is read with JSON.parse,
 * so a crafted SAN cannot pass for two. Returns null when the string cannot
 * be read unambiguously.
 */
export function parseSubjectAltName(text: string): Array<[string, string]> | null {
  const entries: Array<[string, string]> = [];
  let i = 0;
  while (i < text.length) {
    const colon = text.indexOf(':', i);
    if (colon === -1) return null;
    const type = text.slice(i, colon);
    let value: string;
    let next: number;
    if (text[colon + 1] === '"') {
      // the JSON string literal ends at the first '"' not escaped by '\'
      let end = colon + 2;
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      if (end >= text.length) return null;
      try {
        value = JSON.parse(text.slice(colon + 1, end + 1)) as string;
      } catch {
        return null;
      }
      next = end + 1;
      if (next < text.length && !text.startsWith(', ', next)) return null;
    } else {
      const comma = text.indexOf(', ', colon + 1);
      next = comma === -1 ? text.length : comma;
      value = text.slice(colon + 1, next);
    }
    entries.push([type, value]);
    i = next === text.length ? next : next + 2;
  }
  return entries;
}

/** The principal name of a certificate, or why there is none. */
export function certificateName(cert: PeerCertificate, from: MtlsPrincipalSource): { name: string } | { reason: string } {
  let name: unknown;
  if (from === 'subject-cn') {
    name = cert.subject?.CN as unknown;
    if (Array.isArray(name)) return { reason: 'client certificate with several subject CNs' };
  } else {
    if (typeof cert.subjectaltname !== 'string' || cert.subjectaltname === '') return { reason: 'client certificate without subjectAltName' };
    const entries = parseSubjectAltName(cert.subjectaltname);
    if (entries === null) return { reason: 'unreadable subjectAltName' };
    const wanted = SAN_PREFIX[from];
    name = entries.find(([type]) => type === wanted)?.[1];
  }
  if (typeof name !== 'string' || name === '') return { reason: `client certificate without a ${from} name` };
  if (CONTROL.test(name)) return { reason: `client certificate ${from} name with control characters` };
  return { name };
}

function hasCertificate(cert: PeerCertificate | null): cert is PeerCertificate {
  // getPeerCertificate() gives {} when the client sent none
  return cert !== null && typeof cert === 'object' && cert.raw !== undefined && cert.raw.length > 0;
}

/** A SchemeVerifier that decides synchronously. */
export type MtlsVerifier = Omit<SchemeVerifier, 'authenticate'> & { authenticate(request: AuthRequest): AuthOutcome };

export function createMtlsVerifier(options: MtlsVerifierOptions): MtlsVerifier {
  const { scheme, principalFrom } = options;
  if (!['subject-cn', 'san-dns', 'san-email', 'san-uri'].includes(principalFrom)) {
    throw new TypeError(`principalFrom must be subject-cn, san-dns, san-email or san-uri, got ${String(principalFrom)}`);
  }
  const allow = new Set(options.allow ?? []);
  const roles = options.roles ?? {};

  return {
    scheme,
    method: 'mtls',
    needsBody: false,
    authenticate(request: AuthRequest): AuthOutcome {
      const cert = request.peerCertificate;
      if (!hasCertificate(cert)) return MISSING;
      if (!request.peerCertificateAuthorized) return { result: 'invalid', reason: 'client certificate not verified by the listener' };
      const notBefore = Date.parse(cert.valid_from);
      const notAfter = Date.parse(cert.valid_to);
      if (Number.isNaN(notBefore) || Number.isNaN(notAfter)) return { result: 'invalid', reason: 'client certificate with unreadable validity dates' };
      if (request.now < notBefore) return { result: 'invalid', reason: 'client certificate not yet valid' };
      if (request.now > notAfter) return { result: 'invalid', reason: 'client certificate expired' };
      const mapped = certificateName(cert, principalFrom);
      if ('reason' in mapped) return { result: 'invalid', reason: mapped.reason };
      const { name } = mapped;
      if (allow.size > 0 && !allow.has(name)) return { result: 'invalid', reason: 'client certificate name not allowed' };
      const issuerCn = cert.issuer?.CN as unknown;
      return {
        result: 'authenticated',
        principal: deepFreeze({
          id: `mtls:${name}`,
          subject: name,
          method: 'mtls',
          scheme,
          scopes: [],
          roles: Object.hasOwn(roles, name) ? [...(roles[name] ?? [])] : [],
          claims: {
            serialNumber: cert.serialNumber,
            fingerprint256: cert.fingerprint256,
            ...(typeof issuerCn === 'string' ? { issuer: issuerCn } : {}),
          },
          plan: null,
          expiresAt: notAfter,
        }),
      };
    },
    challenge() {
      return null;
    },
  };
}
