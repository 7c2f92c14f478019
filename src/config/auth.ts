/**
 * The `auth` section after the schema check: durations parsed, secrets
 * resolved lazily (SecretRef keeps the environment variable's name, so a
 * secret is never copied into the parsed policy or a log of it), rules'
 * request values parsed with the rate-limit key-part grammar.
 */
import { parseKeyPart, reportingParser } from './rate-limits.ts';
import type { AuthConfig, AuthRule, AuthSchemeConfig, KeyPart, SecretRef } from './types.ts';
import { parseDuration, parseOperationRef } from './values.ts';

type Path = (string | number)[];
type Raw = Record<string, unknown>;

export interface AuthReporter {
  report(path: Path, message: string): void;
}

/** The secret's value, from the environment or inline; throws naming the variable when unset. */
export function resolveSecret(ref: SecretRef, what: string): string {
  if (ref.env !== null) {
    const value = process.env[ref.env];
    if (value === undefined || value === '') throw new Error(`${what}: environment variable ${ref.env} is not set`);
    return value;
  }
  if (ref.value !== null) return ref.value;
  throw new Error(`${what}: no secret given`);
}

export function parseAuth(raw: Raw, r: AuthReporter): AuthConfig {
  const at = (...rest: Path): Path => ['auth', ...rest];
  const attempt = reportingParser(r);
  const duration = (path: Path, value: unknown, fallback: string): number =>
    attempt(path, () => parseDuration((value as string | number | undefined) ?? fallback), 0);
  const secret = (path: Path, value: unknown): SecretRef => {
    const s = (value ?? {}) as Raw;
    const env = typeof s.env === 'string' ? s.env : null;
    const inline = typeof s.value === 'string' ? s.value : null;
    if ((env === null) === (inline === null)) r.report(path, "give exactly one of 'env' (preferred: keeps the secret out of the file) or 'value'");
    return { env, value: env === null ? inline : null };
  };

  const schemes: Record<string, AuthSchemeConfig> = {};
  for (const [name, value] of Object.entries((raw.schemes ?? {}) as Record<string, Raw>)) {
    const p = (...rest: Path): Path => at('schemes', name, ...rest);
    const kinds = Object.keys(value);
    if (kinds.length !== 1) {
      r.report(p(), `give exactly one of jwt, introspection, apiKeys, basic, hmac or mtls${kinds.length > 1 ? ` (got ${kinds.join(' and ')})` : ''}`);
      continue;
    }
    if (value.jwt) {
      const j = value.jwt as Raw;
      schemes[name] = {
        kind: 'jwt',
        issuer: j.issuer as string,
        audiences: j.audiences as string[],
        jwksUri: (j.jwksUri as string | undefined) ?? null,
        discoveryUrl: (j.discoveryUrl as string | undefined) ?? null,
        algorithms: (j.algorithms as string[] | undefined) ?? null,
        clockSkewMs: duration(p('jwt', 'clockSkew'), j.clockSkew, '30s'),
        scopeClaim: (j.scopeClaim as string | undefined) ?? 'scope',
        rolesClaim: (j.rolesClaim as string | undefined) ?? null,
        planClaim: (j.planClaim as string | undefined) ?? null,
        cacheSize: (j.cacheSize as number | undefined) ?? 10_000,
        jwksCooldownMs: duration(p('jwt', 'jwksCooldown'), j.jwksCooldown, '30s'),
      };
    } else if (value.introspection) {
      const i = value.introspection as Raw;
      if (i.url === undefined && i.discoveryUrl === undefined) r.report(p('introspection'), "give 'url' (the introspection endpoint) or 'discoveryUrl'");
      schemes[name] = {
        kind: 'introspection',
        url: (i.url as string | undefined) ?? null,
        discoveryUrl: (i.discoveryUrl as string | undefined) ?? null,
        clientId: i.clientId as string,
        clientSecret: secret(p('introspection', 'clientSecret'), i.clientSecret),
        timeoutMs: duration(p('introspection', 'timeout'), i.timeout, '2s'),
        issuer: (i.issuer as string | undefined) ?? null,
        audiences: (i.audiences as string[] | undefined) ?? [],
      };
    } else if (value.apiKeys) {
      schemes[name] = { kind: 'apiKeys', cacheMs: duration(p('apiKeys', 'cache'), (value.apiKeys as Raw).cache, '5s') };
    } else if (value.basic) {
      const users = ((value.basic as Raw).users as Raw[]).map((u) => ({
        name: u.name as string,
        passwordHash: u.passwordHash as string,
        scopes: (u.scopes as string[] | undefined) ?? [],
        roles: (u.roles as string[] | undefined) ?? [],
        plan: (u.plan as string | undefined) ?? null,
      }));
      schemes[name] = { kind: 'basic', users };
    } else if (value.hmac) {
      const h = value.hmac as Raw;
      schemes[name] = {
        kind: 'hmac',
        replayWindowMs: duration(p('hmac', 'replayWindow'), h.replayWindow, '5m'),
        clients: (h.clients as Raw[]).map((c, i) => ({
          id: c.id as string,
          secret: secret(p('hmac', 'clients', i, 'secret'), c.secret),
          scopes: (c.scopes as string[] | undefined) ?? [],
          roles: (c.roles as string[] | undefined) ?? [],
          plan: (c.plan as string | undefined) ?? null,
        })),
      };
    } else if (value.mtls) {
      const m = value.mtls as Raw;
      schemes[name] = {
        kind: 'mtls',
        principalFrom: (m.principalFrom as 'subject-cn' | undefined) ?? 'subject-cn',
        allow: (m.allow as string[] | undefined) ?? [],
        roles: (m.roles as Record<string, string[]> | undefined) ?? {},
      };
    }
  }

  const rules: AuthRule[] = ((raw.rules as Raw[] | undefined) ?? []).map((rule, i) => {
    const match = (rule.match ?? {}) as Raw;
    const owner = rule.owner as Raw | undefined;
    let ownerValue: KeyPart | null = null;
    if (owner) {
      ownerValue = attempt(at('rules', i, 'owner', 'value'), () => parseKeyPart(owner.value as string), null);
      if (ownerValue && ['global', 'operation', 'principal', 'apiKey', 'claim'].includes(ownerValue.source)) {
        r.report(at('rules', i, 'owner', 'value'), `"${ownerValue.text}" is not a request value; use path.<name>, query.<name>, header.<name> or body.<field>`);
      }
    }
    const roles = (rule.roles as string[] | undefined) ?? [];
    const claims = (rule.claims as Record<string, string | number | boolean> | undefined) ?? {};
    if (roles.length === 0 && Object.keys(claims).length === 0 && !owner) r.report(at('rules', i), 'a rule needs roles, claims or owner (otherwise it allows everything it matches)');
    return {
      match: {
        operations: ((match.operations as string[] | undefined) ?? []).map((op, k) => attempt(at('rules', i, 'match', 'operations', k), () => parseOperationRef(op), op)),
        tags: (match.tags as string[] | undefined) ?? [],
      },
      roles,
      claims,
      owner: owner && ownerValue ? { value: ownerValue, claim: owner.claim as string, unlessRoles: (owner.unlessRoles as string[] | undefined) ?? [] } : null,
      origin: `auth.rules[${i}]`,
    };
  });

  return {
    schemes,
    public: ((raw.public as string[] | undefined) ?? []).map((op, i) => attempt(at('public', i), () => parseOperationRef(op), op)),
    rules,
    principalHeaders: raw.principalHeaders !== false,
  };
}
