/**
 * What each finding id means: the short description and help text shown by
 * SARIF viewers, and the severity a finding has unless its check says
 * otherwise (e.g. `auth.missing` is critical when the response carries
 * sensitive fields). Kept as data so that the formats, the tests and the
 * documentation read one table.
 */

import type { FindingId, Severity } from './types.ts';

export interface RuleInfo {
  /** the usual severity; the check may raise or lower it for one finding */
  severity: Severity;
  /** possible severities, for the documentation */
  severities: readonly Severity[];
  /** a short description (SARIF `shortDescription`) */
  title: string;
  /** why it matters and how to fix it (SARIF `help`) */
  help: string;
}

export const RULES: Readonly<Record<FindingId, RuleInfo>> = {
  'auth.missing': {
    severity: 'high',
    severities: ['critical', 'high', 'info'],
    title: 'Operation without any security requirement',
    help: 'Neither the operation nor the document root declares `security`, so anyone can call it. '
      + 'Declare a security requirement, or `security: []` with `x-apiwarden-public: true` when the operation is public on purpose. '
      + 'Critical when its responses carry sensitive-looking fields (phone, email, tokens...): the shape of the 2024 account-lookup breaches. '
      + 'Info when the operation is marked `x-apiwarden-public: true`.',
  },
  'auth.anonymous': {
    severity: 'medium',
    severities: ['medium', 'info'],
    title: 'Explicit anonymous access',
    help: 'The operation removes authentication with `security: []`, or lists the empty requirement `{}` as an alternative, '
      + 'so a request without credentials is accepted (OAS 3.x "Security Requirement Object"). '
      + 'Mark the operation `x-apiwarden-public: true` when this is intended (the finding becomes info).',
  },
  'auth.api-key-in-query': {
    severity: 'high',
    severities: ['high'],
    title: 'API key in the query string',
    help: 'An apiKey scheme with `in: query` puts the credential in the URL, where access logs, proxies, browser history and '
      + 'Referer headers keep it. Send it in a header instead.',
  },
  'auth.api-key-in-cookie': {
    severity: 'low',
    severities: ['low'],
    title: 'API key in a cookie',
    help: 'An apiKey scheme with `in: cookie` is sent by browsers automatically, which exposes the API to cross-site request '
      + 'forgery unless the cookie is SameSite and the API checks the origin. Prefer a header for API clients.',
  },
  'auth.credential-in-url': {
    severity: 'medium',
    severities: ['medium'],
    title: 'Credential-like parameter in the URL',
    help: 'A query or path parameter named like a credential (token, access_token, api_key, password, secret...) puts it in '
      + 'the URL, where logs and intermediaries keep it. Move it to a header or the request body.',
  },
  'auth.undefined-scheme': {
    severity: 'high',
    severities: ['high'],
    title: 'Security requirement names an undefined scheme',
    help: 'The requirement names a scheme that `components.securitySchemes` (Swagger 2.0: `securityDefinitions`) does not '
      + 'declare, so no tool can enforce it and a gateway cannot verify it. Declare the scheme or fix the name.',
  },
  'auth.undefined-scope': {
    severity: 'medium',
    severities: ['medium'],
    title: 'Scope not declared by the OAuth 2 scheme',
    help: 'The requirement asks for a scope that none of the scheme\'s flows declares: a token can never be issued with it, '
      + 'or the name is a typo and the intended scope is not enforced.',
  },
  'auth.basic-over-http': {
    severity: 'high',
    severities: ['high'],
    title: 'HTTP Basic authentication over plain http',
    help: 'HTTP Basic sends a reusable password, only base64-encoded, with every request (RFC 7617 §4). Over a plain `http://` '
      + 'server anyone on the path reads it. Serve the API over https only.',
  },
  'auth.oauth2-implicit': {
    severity: 'medium',
    severities: ['medium'],
    title: 'OAuth 2 implicit flow',
    help: 'The implicit grant returns access tokens in the redirect URI fragment; the OAuth 2.0 Security Best Current Practice '
      + '(RFC 9700 §2.1.2) says clients should not use it. Use the authorization code flow with PKCE.',
  },
  'transport.http-server': {
    severity: 'high',
    severities: ['high'],
    title: 'Plain http server',
    help: 'A server URL (Swagger 2.0: a `schemes` entry) uses plain http on a host other than localhost, so requests, '
      + 'credentials and responses travel unencrypted. Use https.',
  },
  'lifecycle.no-sunset': {
    severity: 'low',
    severities: ['low'],
    title: 'Deprecated operation without a sunset',
    help: 'A deprecated operation without an announced end stays callable forever: a zombie endpoint. Give it an `x-sunset` '
      + 'date (apiwarden then answers 410 after it), or declare a `Sunset` response header (RFC 8594), or a sunset in the policy.',
  },
  'responses.no-401-403': {
    severity: 'low',
    severities: ['low'],
    title: 'Secured operations without 401/403 responses',
    help: 'Operations that require authentication declare neither 401 nor 403 (nor 4XX), so clients and tests do not know '
      + 'what a refusal looks like. One finding per document lists the operations.',
  },
  'responses.no-429': {
    severity: 'low',
    severities: ['low'],
    title: 'Operations without a 429 response',
    help: 'Operations declare no 429 (nor 4XX): the rate-limit contract is undocumented, and clients are not told to back '
      + 'off (RFC 6585 §4). One finding per document lists the operations.',
  },
  'data.sensitive-response': {
    severity: 'info',
    severities: ['critical', 'info'],
    title: 'Sensitive-looking fields in responses',
    help: 'A success response schema has fields that look like personal data or secrets (phone, email, national id, date of '
      + 'birth, card or account numbers, passwords, tokens), by name, `format: email` or an E.164 pattern. Critical when the '
      + 'operation is reachable without authentication; info when it is authenticated, to review what is returned. '
      + 'An operation without any security requirement reports this through auth.missing (critical) instead.',
  },
};
