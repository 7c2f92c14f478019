/**
 * Which requests are login attempts, and which account each one tried.
 * Credential stuffing is many accounts failing from one client; brute force
 * is one account failing many times. Neither is visible unless the gateway
 * knows that a 401 from this operation is a failed login (not an expired
 * token) and reads the account name from the request.
 *
 * The policy names its login operations (`detection.logins`) and where the
 * account is (`body.email`); with `autoLogins` (default on), a POST whose
 * operationId or last path segment reads as a login (login, signin,
 * session(s), token, auth, authenticate) is one too, and its account is the
 * first of the usual fields present (username, email, login, …). The
 * password is never read.
 */
import type { KeyPart, LoginConfig } from '../config/types.ts';
import { AMBIGUOUS, readPart, type RequestFacts } from '../limiter/request-values.ts';

export interface LoginSpec {
  /** where the account is; null: the usual fields */
  account: KeyPart | null;
}

export interface Logins {
  /** the login spec of a request, or null when it is not a login */
  loginOf(method: string, operationId: string | null, path: string | null): LoginSpec | null;
  /** the account a login request tried, or null (no such field, or not a string) */
  accountOf(spec: LoginSpec, facts: RequestFacts): string | null;
}

/** The fields an account name is usually sent in, first found wins. */
const ACCOUNT_FIELDS = ['username', 'user_name', 'userName', 'user', 'email', 'login', 'account', 'phone', 'phoneNumber', 'phone_number', 'identifier'];
const LOGIN_WORD = /^(log_?in|sign_?in|sign-in|sessions?|token|oauth_?token|auth|authenticate|authorize_?password)$/i;
/** words of an operationId (createSession, user_login, signIn, postOauthToken) that make it a login */
const LOGIN_WORDS = new Set(['login', 'signin', 'logon', 'session', 'sessions', 'token', 'authenticate']);
/** …unless it is about logins rather than one: getLoginHistory, revokeToken, refreshSession */
const NOT_LOGIN_WORDS = new Set(['get', 'list', 'history', 'revoke', 'refresh', 'delete', 'logout', 'introspect', 'verify']);
/** accounts are names, not documents: a longer value is cut (and still counts as one account) */
const MAX_ACCOUNT_LENGTH = 256;
const AUTO: LoginSpec = { account: null };
const SUBNET = { ipv4: 24, ipv6: 64 };

export function createLogins(configured: readonly LoginConfig[], isAuto: boolean): Logins {
  const byOperation = new Map<string, LoginSpec>();
  for (const login of configured) for (const op of login.operations) byOperation.set(normaliseOperation(op), { account: login.account });
  // operationId → login or not, decided once
  const autoByOperation = new Map<string, LoginSpec | null>();

  function loginOf(method: string, operationId: string | null, path: string | null): LoginSpec | null {
    if (byOperation.size > 0) {
      const named = (operationId !== null ? byOperation.get(operationId) : undefined) ?? (path !== null ? byOperation.get(`${method.toUpperCase()} ${path}`) : undefined);
      if (named) return named;
    }
    if (!isAuto || method !== 'POST') return null;
    if (operationId !== null) {
      let known = autoByOperation.get(operationId);
      if (known === undefined) {
        known = isLoginOperation(operationId) ? AUTO : null;
        if (autoByOperation.size < 10_000) autoByOperation.set(operationId, known);
      }
      if (known) return known;
    }
    if (path === null) return null;
    const last = path.slice(path.lastIndexOf('/') + 1);
    return LOGIN_WORD.test(last) ? AUTO : null;
  }

  function accountOf(spec: LoginSpec, facts: RequestFacts): string | null {
    if (spec.account !== null) {
      const value = readPart(spec.account, facts, SUBNET);
      return value === null || value === AMBIGUOUS ? null : bounded(value);
    }
    const body = facts.body;
    if (body === null || typeof body !== 'object' || Array.isArray(body)) return null;
    const record = body as Record<string, unknown>;
    for (const field of ACCOUNT_FIELDS) {
      const value = record[field];
      if (typeof value === 'string' && value !== '') return bounded(value);
    }
    return null;
  }

  return { loginOf, accountOf };
}

function isLoginOperation(operationId: string): boolean {
  // camelCase, snake_case, kebab-case and dotted ids into lower-case words; "log in" and "sign in" joined
  const words = operationId.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase().split(/[^a-z0-9]+/).filter((w) => w !== '');
  for (let i = 0; i + 1 < words.length; i++) {
    if ((words[i] === 'log' || words[i] === 'sign') && words[i + 1] === 'in') words.splice(i, 2, `${words[i]}in`);
  }
  return words.some((w) => LOGIN_WORDS.has(w)) && !words.some((w) => NOT_LOGIN_WORDS.has(w));
}

/** "post /login" → "POST /login"; operationIds as written */
function normaliseOperation(op: string): string {
  const m = /^([a-z]+)\s+(\/.*)$/i.exec(op.trim());
  return m ? `${m[1]!.toUpperCase()} ${m[2]!}` : op.trim();
}

/** account names compare case-insensitively (most services do), cut to a bound */
function bounded(value: string): string {
  return value.trim().toLowerCase().slice(0, MAX_ACCOUNT_LENGTH);
}
