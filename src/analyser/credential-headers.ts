/**
 * The kind of credential a gateway saw (GatewayEvent.extras.credential) as
 * the one header that makes discovery count the same kind
 * (src/discovery/auth-seen.ts): the analyser never sees the request's
 * headers, and the credential itself never leaves the gateway.
 */
const PLACEHOLDER = 'x';

export function headersForCredential(credential: string | null): Record<string, string> {
  switch (credential) {
    case 'bearer': return { authorization: `Bearer ${PLACEHOLDER}` };
    case 'basic': return { authorization: `Basic ${PLACEHOLDER}` };
    case 'hmac': return { authorization: `AW-HMAC-SHA256 ${PLACEHOLDER}` };
    case 'other': return { authorization: `Other ${PLACEHOLDER}` };
    case 'apikey': return { 'x-api-key': PLACEHOLDER };
    case 'cookie': return { cookie: `session=${PLACEHOLDER}` };
    default: return {};
  }
}
