/**
 * Access control for one operation: the OpenAPI security requirements with
 * their exact semantics, then the policy's authorisation rules.
 *
 * OAS 3.1 §4.8.10.2 (Operation `security`), §4.8.30 (Security Requirement
 * Object): the list holds alternatives, any one of which suffices (OR); each
 * alternative names schemes that must all be satisfied (AND), each with the
 * scopes it needs; an empty object `{}` in the list makes the request
 * optionally anonymous; operation-level `security` replaces the root one, and
 * `security: []` removes it. An operation with no requirement at all (none on
 * the operation, none at the root) has no access rule: it is denied in
 * enforce mode unless marked public (x-apiwarden-public or auth.public).
 *
 * A credential that is present must be valid, even on an operation that
 * allows anonymous access: the upstream may read the same header and trust
 * it as if the gateway had checked it.
 */
import type { AuthConfig, AuthRule, KeyPart } from '../config/types.ts';
import type { Operation } from '../openapi/types.ts';
import type { AuthOutcome, AuthRequest, BearerError, Principal, SchemeVerifier } from './types.ts';

export type Requirement = Readonly<Record<string, readonly string[]>>;

export interface AccessPolicy {
  /** effective requirements; null = none declared; [] = explicitly anonymous */
  readonly requirements: readonly Requirement[] | null;
  /** reachable without credentials although no requirement is declared */
  readonly isPublic: boolean;
  readonly rules: readonly AuthRule[];
  /** schemes named by the requirements, each authenticated at most once per request */
  readonly schemes: readonly string[];
}

/** How access was decided, on the event. */
export type AccessOutcome =
  | 'authenticated'
  /** no credential, and an anonymous alternative allowed it */
  | 'anonymous'
  /** no requirement declared, and the operation is marked public */
  | 'public'
  /** no credential where one is needed */
  | 'missing'
  /** a credential that is wrong: expired, bad signature, unknown or revoked key, replayed */
  | 'invalid'
  /** valid credentials without the scopes the document asks */
  | 'insufficient'
  /** a policy rule (roles, claims, owner) refused it */
  | 'forbidden'
  /** no security requirement and not public (default deny) */
  | 'no-rule'
  /** the verifier could not decide (identity provider down) */
  | 'unavailable';

export type AccessDecision =
  | { allowed: true; principal: Principal | null; outcome: 'authenticated' | 'anonymous' | 'public'; scheme: string | null }
  | {
      allowed: false;
      outcome: Exclude<AccessOutcome, 'authenticated' | 'anonymous' | 'public'>;
      /** 401, 403 or 503 */
      status: 401 | 403 | 503;
      /** WWW-Authenticate values (401 and bearer 403) */
      challenges: string[];
      /** for logs and events only; never sent */
      reason: string;
      /** the principal, when authentication succeeded but authorisation did not */
      principal: Principal | null;
    };

function operationRefMatches(ref: string, op: Operation): boolean {
  return ref === op.operationId || ref === `${op.method} ${op.template}` || ref === `${op.method} ${op.documentPath}`;
}

export function compileAccessPolicy(op: Operation, config: AuthConfig): AccessPolicy {
  const requirements = op.security;
  const isPublic = op.extensions['x-apiwarden-public'] === true || config.public.some((ref) => operationRefMatches(ref, op));
  const rules = config.rules.filter((r) =>
    (r.match.operations.length === 0 || r.match.operations.some((ref) => operationRefMatches(ref, op))) &&
    (r.match.tags.length === 0 || r.match.tags.some((t) => op.tags.includes(t))));
  const schemes = [...new Set((requirements ?? []).flatMap((r) => Object.keys(r)))];
  return { requirements, isPublic, rules, schemes };
}

/** A request without an operation (a retired prefix): no requirement can be declared. */
export const NO_OPERATION_POLICY: AccessPolicy = { requirements: null, isPublic: false, rules: [], schemes: [] };

const MISSING: AuthOutcome = { result: 'missing' };

/** Reads a request value for an owner check; 'ambiguous' refuses the request. */
export type ValueReader = (part: KeyPart) => string | null | 'ambiguous';

/**
 * Synchronous when every verifier answers synchronously (cached tokens and
 * keys): the common case costs no promise.
 */
export function decideAccess(
  policy: AccessPolicy,
  verifiers: ReadonlyMap<string, SchemeVerifier>,
  request: AuthRequest,
  readValue: ValueReader,
): AccessDecision | Promise<AccessDecision> {
  const { requirements } = policy;
  if (requirements === null) {
    if (policy.isPublic) return { allowed: true, principal: null, outcome: 'public', scheme: null };
    return deny('no-rule', 403, [], 'no security requirement declared and not marked public', null);
  }

  // authenticate each scheme once (a scheme may appear in several alternatives)
  const outcomes = new Map<string, AuthOutcome>();
  let pending: Array<Promise<void>> | null = null;
  for (const name of policy.schemes) {
    const verifier = verifiers.get(name);
    // a scheme the policy does not configure can never be satisfied; it is not a wrong credential
    const outcome = verifier ? verifier.authenticate(request) : MISSING;
    // hot path: cached credentials answer synchronously; await only what is really asynchronous
    if (outcome instanceof Promise) (pending ??= []).push(outcome.then((o) => void outcomes.set(name, o)));
    else outcomes.set(name, outcome);
  }
  if (pending) return Promise.all(pending).then(() => decideFromOutcomes(policy, verifiers, requirements, outcomes, readValue));
  return decideFromOutcomes(policy, verifiers, requirements, outcomes, readValue);
}

function decideFromOutcomes(
  policy: AccessPolicy,
  verifiers: ReadonlyMap<string, SchemeVerifier>,
  requirements: readonly Requirement[],
  outcomes: ReadonlyMap<string, AuthOutcome>,
  readValue: ValueReader,
): AccessDecision {

  for (const [name, outcome] of outcomes) {
    // present-but-wrong credentials are refused even where anonymous access is allowed (see above)
    if (outcome.result === 'invalid') {
      return deny('invalid', 401, challengesFor(policy, verifiers, name, outcome.bearerError ?? 'invalid_token'), `${name}: ${outcome.reason}`, null);
    }
  }

  let insufficient: { scheme: string; principal: Principal } | null = null;
  let unavailable: string | null = null;
  const anonymousAllowed = requirements.length === 0 || requirements.some((r) => Object.keys(r).length === 0);
  for (const requirement of requirements) {
    const names = Object.keys(requirement);
    if (names.length === 0) continue;
    let principal: Principal | null = null;
    let scheme: string | null = null;
    let satisfied = true;
    for (const name of names) {
      const outcome = outcomes.get(name)!;
      if (outcome.result === 'unavailable') {
        unavailable ??= `${name}: ${outcome.reason}`;
        satisfied = false;
        break;
      }
      if (outcome.result !== 'authenticated') {
        satisfied = false;
        break;
      }
      const needed = requirement[name]!;
      // scopes are compared exactly (RFC 6749 §3.3: case-sensitive strings)
      if (!needed.every((s) => outcome.principal.scopes.includes(s))) {
        insufficient ??= { scheme: name, principal: outcome.principal };
        satisfied = false;
        break;
      }
      // the first scheme of the alternative names the principal (e.g. the user's token before the app's key)
      if (principal === null) {
        principal = outcome.principal;
        scheme = name;
      }
    }
    if (satisfied && principal) return authorise(policy, principal, scheme, readValue);
  }

  if (anonymousAllowed) {
    const authenticated = [...outcomes.entries()].find(([, o]) => o.result === 'authenticated');
    if (authenticated && authenticated[1].result === 'authenticated') return authorise(policy, authenticated[1].principal, authenticated[0], readValue);
    return authoriseAnonymous(policy);
  }
  if (insufficient) {
    const verifier = verifiers.get(insufficient.scheme);
    const challenge = verifier?.challenge('insufficient_scope');
    return deny('insufficient', 403, challenge ? [challenge] : [], `${insufficient.scheme}: missing scopes`, insufficient.principal);
  }
  if (unavailable) return deny('unavailable', 503, [], unavailable, null);
  return deny('missing', 401, challengesFor(policy, verifiers, null, undefined), 'no credentials', null);
}

function authoriseAnonymous(policy: AccessPolicy): AccessDecision {
  // rules need a principal: an anonymous request cannot satisfy roles, claims or ownership
  if (policy.rules.length > 0) return deny('forbidden', 403, [], `${policy.rules[0]!.origin}: needs an authenticated principal`, null);
  return { allowed: true, principal: null, outcome: 'anonymous', scheme: null };
}

function authorise(policy: AccessPolicy, principal: Principal, scheme: string | null, readValue: ValueReader): AccessDecision {
  for (const rule of policy.rules) {
    if (rule.roles.length > 0 && !rule.roles.some((r) => principal.roles.includes(r))) {
      return deny('forbidden', 403, [], `${rule.origin}: needs one of the roles ${rule.roles.join(', ')}`, principal);
    }
    for (const [claim, expected] of Object.entries(rule.claims)) {
      if (principal.claims[claim] !== expected) return deny('forbidden', 403, [], `${rule.origin}: claim ${claim} does not match`, principal);
    }
    if (rule.owner && !rule.owner.unlessRoles.some((r) => principal.roles.includes(r))) {
      const value = readValue(rule.owner.value);
      const claim = principal.claims[rule.owner.claim];
      // both must be present and equal as strings: a missing value never matches a missing claim
      if (value === 'ambiguous' || value === null || claim === undefined || claim === null || String(claim) !== value) {
        return deny('forbidden', 403, [], `${rule.origin}: ${rule.owner.value.text} is not the principal's ${rule.owner.claim}`, principal);
      }
    }
  }
  return { allowed: true, principal, outcome: 'authenticated', scheme };
}

function challengesFor(policy: AccessPolicy, verifiers: ReadonlyMap<string, SchemeVerifier>, only: string | null, error: BearerError | undefined): string[] {
  const names = only === null ? policy.schemes : [only];
  const out: string[] = [];
  for (const name of names) {
    const c = verifiers.get(name)?.challenge(error);
    if (c && !out.includes(c)) out.push(c);
  }
  return out;
}

function deny(outcome: Exclude<AccessOutcome, 'authenticated' | 'anonymous' | 'public'>, status: 401 | 403 | 503, challenges: string[], reason: string, principal: Principal | null): AccessDecision {
  return { allowed: false, outcome, status, challenges, reason, principal };
}
