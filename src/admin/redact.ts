/**
 * The effective policy as the admin API shows it: every secret replaced by
 * "[redacted]". Secrets are the `value` of secret references ({env, value}),
 * fields whose name says secret (password, token, secret, key material,
 * routing and integration keys), and URLs that carry credentials (userinfo,
 * a query string, or an incoming-webhook path such as Slack's, whose path is
 * the secret): those keep their origin only.
 */
const SECRET_NAME = /(secret|password|passphrase|token|routingkey|integrationkey|privatekey|apikey$|credentials)/i;
const REDACTED = '[redacted]';

function redactUrl(value: string): string {
  try {
    const url = new URL(value);
    const hasSecretPart = url.username !== '' || url.password !== '' || url.search !== '' || /hooks|webhook|services\//i.test(url.pathname);
    return hasSecretPart ? `${url.origin}/${REDACTED}` : value;
  } catch {
    return value;
  }
}

function walk(value: unknown, key: string, isSecretRef: boolean): unknown {
  if (typeof value === 'string') {
    if (isSecretRef && key === 'value') return REDACTED;
    if (SECRET_NAME.test(key)) return REDACTED;
    if (/url$|uri$|endpoint$/i.test(key) || /^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return redactUrl(value);
    return value;
  }
  if (Array.isArray(value)) return value.map((v) => walk(v, key, false));
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const looksLikeRef = 'value' in record && ('env' in record || 'file' in record);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(record)) {
      // a secret reference's value is redacted; its env or file name is where the secret is, not the secret
      if (looksLikeRef && (k === 'env' || k === 'file')) out[k] = v;
      else if (SECRET_NAME.test(k) && v !== null && typeof v === 'object' && !Array.isArray(v)) out[k] = walk(v, k, true);
      else out[k] = walk(v, k, looksLikeRef);
    }
    return out;
  }
  return value;
}

export function redactPolicy(policy: unknown): unknown {
  return walk(policy, '', false);
}
