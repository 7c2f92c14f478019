/**
 * What a gateway adds to its events when an analyser in another process
 * does the detection and discovery (bus: nats): what only the request
 * told. The same readers as inline detection: the client fingerprint, the
 * login operations and their accounts, and the kind of credential offered
 * (never the credential).
 */
import type { IncomingMessage } from 'node:http';
import type { LoginConfig } from '../config/types.ts';
import { authSeenOf } from '../discovery/auth-seen.ts';
import { requestFingerprint } from '../detect/fingerprint.ts';
import { createLogins } from '../detect/logins.ts';
import type { EventEnricher } from './gateway.ts';

/** the headers authSeenOf reads, as single strings */
const CREDENTIAL_HEADERS = ['authorization', 'x-api-key', 'api-key', 'apikey', 'x-apikey', 'x-auth-token', 'x-access-token', 'x-goog-api-key', 'ocp-apim-subscription-key', 'signature', 'x-amz-content-sha256', 'cookie'];

export function createEventEnricher(logins: readonly LoginConfig[], autoLogins: boolean): EventEnricher {
  const reader = createLogins(logins, autoLogins);
  return {
    fingerprintOf: requestFingerprint,
    loginOf: reader.loginOf,
    accountOf: reader.accountOf,
    credentialOf(req: IncomingMessage, query: string) {
      const headers: Record<string, string> = {};
      for (const name of CREDENTIAL_HEADERS) {
        const value = req.headers[name];
        if (typeof value === 'string') headers[name] = value;
      }
      const socket = req.socket as { getPeerCertificate?: () => { subject?: unknown } };
      const hasCertificate = typeof socket.getPeerCertificate === 'function' && socket.getPeerCertificate()?.subject !== undefined;
      return authSeenOf(headers, query === '' ? null : query, hasCertificate);
    },
  };
}
