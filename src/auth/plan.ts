/**
 * Access control compiled with the gateway plan: one AccessPolicy per
 * operation, and one verifier per security scheme of each document, built
 * from what the document declares (where the credential is) and what the
 * policy's `auth.schemes` says (how to check it). A scheme the policy does
 * not configure cannot be satisfied: requests that need it get 401, and the
 * plan warns at load time.
 */
import type { AuthConfig, AuthSchemeConfig } from '../config/types.ts';
import { resolveSecret } from '../config/auth.ts';
import type { Operation, LoadedDocument } from '../openapi/types.ts';
import type { SecurityScheme } from '../openapi/security-schemes.ts';
import { compileAccessPolicy, NO_OPERATION_POLICY, type AccessPolicy } from './access.ts';
import type { ApiKeyStore } from './api-key-store.ts';
import { createApiKeyVerifier } from './api-key-verifier.ts';
import { createBasicVerifier } from './basic-verifier.ts';
import { createHmacVerifier } from './hmac-verifier.ts';
import { createIntrospectionVerifier } from './introspection.ts';
import { createJwtVerifier } from './jwt-verifier.ts';
import { createMtlsVerifier } from './mtls-verifier.ts';
import type { SchemeVerifier } from './types.ts';

/** Runtime services the verifiers need, kept across reloads. */
export interface AuthServices {
  apiKeys: ApiKeyStore | null;
}

export interface AuthPlan {
  policyFor(operation: Operation | null): AccessPolicy;
  verifiersFor(operation: Operation | null): ReadonlyMap<string, SchemeVerifier>;
  /** some scheme of this operation reads the body (HMAC signatures) */
  needsBody(operation: Operation | null): boolean;
  readonly principalHeaders: boolean;
  readonly warnings: readonly string[];
  close(): Promise<void>;
}

const NO_VERIFIERS: ReadonlyMap<string, SchemeVerifier> = new Map();

export function compileAuthPlan(config: AuthConfig, documents: ReadonlyMap<string, LoadedDocument>, services: AuthServices): AuthPlan {
  const warnings: string[] = [];
  const byDocument = new Map<string, Map<string, SchemeVerifier>>();
  const all: SchemeVerifier[] = [];
  const used = new Set<string>();

  for (const [source, doc] of documents) {
    const verifiers = new Map<string, SchemeVerifier>();
    for (const [name, scheme] of doc.securitySchemes ?? new Map<string, SecurityScheme>()) {
      used.add(name);
      try {
        const verifier = buildVerifier(scheme, config.schemes[name], services);
        if (verifier) {
          verifiers.set(name, verifier);
          all.push(verifier);
        } else {
          const referenced = doc.operations.some((op) => op.security?.some((r) => name in r));
          if (referenced) warnings.push(`${source}: security scheme '${name}' (${describe(scheme)}) is not configured under auth.schemes; requests that need it get 401`);
        }
      } catch (error) {
        throw new Error(`${source}: security scheme '${name}': ${(error as Error).message}`, { cause: error });
      }
    }
    byDocument.set(source, verifiers);
    for (const op of doc.operations) {
      for (const requirement of op.security ?? []) {
        for (const name of Object.keys(requirement)) {
          if (!doc.securitySchemes?.has(name)) warnings.push(`${source}: ${op.method} ${op.template} requires scheme '${name}', which the document does not declare; it cannot be satisfied`);
        }
      }
    }
  }
  for (const name of Object.keys(config.schemes)) {
    if (!used.has(name)) warnings.push(`auth.schemes.${name}: no loaded document declares a security scheme named '${name}'`);
  }

  const policies = new Map<Operation, AccessPolicy>();
  const needsBody = new Map<Operation, boolean>();
  for (const doc of documents.values()) {
    const verifiers = byDocument.get(doc.source) ?? NO_VERIFIERS;
    for (const op of doc.operations) {
      const policy = compileAccessPolicy(op, config);
      policies.set(op, policy);
      needsBody.set(op, policy.schemes.some((s) => verifiers.get(s)?.needsBody === true) ||
        policy.rules.some((r) => r.owner?.value.source === 'body'));
    }
  }

  return {
    policyFor: (op) => (op ? (policies.get(op) ?? compileAccessPolicy(op, config)) : NO_OPERATION_POLICY),
    verifiersFor: (op) => (op ? (byDocument.get(op.source) ?? NO_VERIFIERS) : NO_VERIFIERS),
    needsBody: (op) => (op ? (needsBody.get(op) ?? false) : false),
    principalHeaders: config.principalHeaders,
    warnings,
    async close() {
      await Promise.all(all.map((v) => v.close?.()));
    },
  };
}

function describe(s: SecurityScheme): string {
  if (s.type === 'apiKey') return `apiKey in ${s.in ?? '?'} '${s.paramName ?? '?'}'`;
  if (s.type === 'http') return `http ${s.scheme ?? '?'}`;
  return s.type;
}

/**
 * The verifier for one declared scheme. The document says where the
 * credential is; the policy says how to check it. apiKey schemes default to
 * the key store; other types need a policy entry (null = not configured).
 */
function buildVerifier(scheme: SecurityScheme, config: AuthSchemeConfig | undefined, services: AuthServices): SchemeVerifier | null {
  const name = scheme.name;
  if (config?.kind === 'hmac') {
    return createHmacVerifier({
      scheme: name,
      replayWindowMs: config.replayWindowMs,
      clients: config.clients.map((c) => ({ id: c.id, secret: resolveSecret(c.secret, `hmac client ${c.id}`), scopes: c.scopes, roles: c.roles, plan: c.plan ?? undefined })),
    });
  }
  switch (scheme.type) {
    case 'apiKey': {
      if (config && config.kind !== 'apiKeys') throw new Error(`an apiKey scheme is checked with apiKeys (or hmac), not ${config.kind}`);
      if (!scheme.in || !scheme.paramName) throw new Error("an apiKey scheme needs 'in' and 'name'");
      // without a key store (apiwarden check) the scheme is configured but cannot look keys up
      if (!services.apiKeys) return noKeyStore(name);
      return createApiKeyVerifier({ scheme: name, in: scheme.in, name: scheme.paramName, store: services.apiKeys, cacheMs: config?.cacheMs ?? 5000 });
    }
    case 'http':
      if (scheme.scheme === 'basic') {
        if (!config) return null;
        if (config.kind !== 'basic') throw new Error(`an http basic scheme is checked with basic, not ${config.kind}`);
        return createBasicVerifier({ scheme: name, realm: name, users: config.users.map((u) => ({ ...u, plan: u.plan ?? undefined })) });
      }
      if (scheme.scheme === 'bearer') return bearerVerifier(name, config, null);
      // another http scheme (digest, a signature scheme...): only an hmac policy entry can check it
      if (config) throw new Error(`http scheme '${scheme.scheme ?? ''}' is checked with hmac, not ${config.kind}`);
      return null;
    case 'oauth2':
      return bearerVerifier(name, config, null);
    case 'openIdConnect':
      return bearerVerifier(name, config, scheme.openIdConnectUrl);
    case 'mutualTLS': {
      if (config && config.kind !== 'mtls') throw new Error(`a mutualTLS scheme is checked with mtls, not ${config.kind}`);
      const m = config ?? { principalFrom: 'subject-cn' as const, allow: [], roles: {} };
      return createMtlsVerifier({ scheme: name, principalFrom: m.principalFrom, allow: m.allow, roles: m.roles });
    }
  }
}

function bearerVerifier(name: string, config: AuthSchemeConfig | undefined, openIdConnectUrl: string | null): SchemeVerifier | null {
  if (!config) return null;
  if (config.kind === 'jwt') {
    const discoveryUrl = config.discoveryUrl ?? (config.jwksUri === null ? openIdConnectUrl : null);
    if (!discoveryUrl && !config.jwksUri) throw new Error("jwt needs 'jwksUri' or 'discoveryUrl' (or an openIdConnectUrl in the document)");
    return createJwtVerifier({
      scheme: name,
      issuer: config.issuer,
      audiences: config.audiences,
      ...(config.algorithms ? { algorithms: config.algorithms } : {}),
      ...(config.jwksUri ? { jwksUri: config.jwksUri } : { discoveryUrl: discoveryUrl! }),
      clockSkewSec: Math.round(config.clockSkewMs / 1000),
      cacheMax: config.cacheSize,
      jwksCooldownMs: config.jwksCooldownMs,
      scopeClaim: config.scopeClaim,
      ...(config.rolesClaim ? { rolesClaim: config.rolesClaim } : {}),
      ...(config.planClaim ? { planClaim: config.planClaim } : {}),
    });
  }
  if (config.kind === 'introspection') {
    return createIntrospectionVerifier({
      scheme: name,
      ...(config.url ? { introspectionUrl: config.url } : { discoveryUrl: config.discoveryUrl! }),
      clientId: config.clientId,
      clientSecret: resolveSecret(config.clientSecret, `scheme ${name} clientSecret`),
      fetchTimeoutMs: config.timeoutMs,
      ...(config.issuer ? { issuer: config.issuer } : {}),
      ...(config.audiences.length > 0 ? { audiences: config.audiences } : {}),
    });
  }
  throw new Error(`a bearer token scheme is checked with jwt or introspection, not ${config.kind}`);
}

function noKeyStore(scheme: string): SchemeVerifier {
  return {
    scheme,
    method: 'apiKey',
    needsBody: false,
    authenticate: () => ({ result: 'unavailable', reason: 'no API key store' }),
    challenge: () => null,
  };
}
