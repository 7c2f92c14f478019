/**
 * Detection inside a running gateway: every finished request is observed
 * (with what only the request path knows: the client fingerprint and the
 * values looked up), the rules are evaluated every second, decisions go to
 * the limiter's ban store (memory or Redis, so every instance) and to the
 * local ban mirror at once, and alert signals go to the alert manager.
 *
 * The values looked up are the path parameters of the operation the
 * request matched; a request no document declares (the reference breach's
 * lookup was one) takes them from the template discovery learned for it,
 * so the undocumented lookup is counted as one operation with one
 * identifier per request, not as a thousand unknown paths.
 */
import type { IncomingMessage } from 'node:http';
import type { AlertManager } from '../alerts/lifecycle.ts';
import type { PathTemplater } from '../discovery/templater.ts';
import type { GatewayEvent } from '../events/types.ts';
import type { LoginConfig } from '../config/types.ts';
import type { RequestFacts } from '../limiter/request-values.ts';
import type { LimiterRuntime } from '../limiter/runtime.ts';
import { createDetector, type Detector } from './engine.ts';
import { requestFingerprint } from './fingerprint.ts';
import { fromGatewayEvent } from './from-gateway-event.ts';
import { createLogins, type LoginSpec } from './logins.ts';
import { startDetectorTimer } from './timer.ts';
import type { RuleSet } from './rules.ts';
import type { Decision } from './types.ts';

export interface DetectionTap {
  /** after the answer: count the request */
  observe(event: GatewayEvent, req: IncomingMessage, params: Readonly<Record<string, string>> | null, login: LoginAttempt | null): void;
  /** the fingerprint of a request (cached on the request while it is handled) */
  fingerprintOf(req: IncomingMessage): string;
  /** is this request a login (so the gateway reads its body for the account tried)? */
  loginOf(method: string, operationId: string | null, path: string | null): LoginSpec | null;
  /** the account a login request tried */
  accountOf(spec: LoginSpec, facts: RequestFacts): string | null;
}

/** A login request as the gateway saw it: the account it tried, when the request named one. */
export interface LoginAttempt {
  account: string | null;
}

export interface DetectionRuntime {
  readonly detector: Detector;
  readonly tap: DetectionTap;
  /** decisions made so far, newest last (bounded) */
  readonly decisions: readonly Decision[];
  /**
   * counts one finished request told by its event: the client fingerprint,
   * the values of a documented operation's parameters (null when it matched
   * none: discovery's learned template says where they are), a login's account
   */
  observeEvent(event: GatewayEvent, fingerprint: string | null, identifiers: readonly string[] | null, login: LoginAttempt | null): void;
  /** evaluate now (tests; the timer does it every second) */
  evaluate(now?: number): void;
  /** told of every decision as it is made (the admin listener); returns an unsubscribe */
  onDecision(listener: (decision: Decision) => void): () => void;
  close(): Promise<void>;
}

type Log = (level: 'info' | 'warn' | 'error', message: string, detail?: Record<string, unknown>) => void;

export interface DetectionRuntimeOptions {
  rules: RuleSet;
  /** monitor mode: decisions are reported and alerted, never enforced */
  isDryRun: boolean;
  maxIdentities: number;
  evaluateEveryMs: number;
  limiter: LimiterRuntime | null;
  alerts: AlertManager | null;
  /** discovery's templater, to find the identifiers of undocumented requests */
  templater: PathTemplater | null;
  /** login operations named in the policy, and whether to recognise others by name */
  logins?: readonly LoginConfig[];
  autoLogins?: boolean;
  /** epoch ms (default Date.now): rules run at this clock's time */
  clock?: () => number;
  log: Log;
}

/** decisions kept for the admin API and tests */
const MAX_DECISIONS_KEPT = 1000;

export function createDetectionRuntime(options: DetectionRuntimeOptions): DetectionRuntime {
  const detector = createDetector({ rules: options.rules, maxIdentities: options.maxIdentities, ...(options.clock ? { clock: options.clock } : {}) });
  const decisions: Decision[] = [];
  const { limiter, alerts, templater, log } = options;
  const logins = createLogins(options.logins ?? [], options.autoLogins ?? true);

  function learnedLookup(event: GatewayEvent): { operation: string; identifiers: string[] } | null {
    if (templater === null || event.path === null) return null;
    const learned = templater.match(event.method, event.host, event.path);
    return { operation: `${event.method} ${learned.template}`, identifiers: valuesAtParams(learned.template, event.path) };
  }

  function observeEvent(event: GatewayEvent, fingerprint: string | null, identifiers: readonly string[] | null, login: LoginAttempt | null): void {
    let values: readonly string[] = identifiers ?? [];
    let operation: string | undefined;
    // an undocumented lookup: its values are where discovery learned a parameter
    if (identifiers === null && (event.class === 'shadow' || event.class === 'unknown' || event.template === null)) {
      const learned = learnedLookup(event);
      if (learned !== null) {
        values = learned.identifiers;
        operation = learned.operation;
      }
    }
    detector.observe(fromGatewayEvent(event, {
      fingerprint,
      identifiers: values,
      ...(operation !== undefined ? { operation } : {}),
      ...(login !== null ? { isLogin: true, account: login.account } : {}),
    }));
  }

  let decisionListeners: readonly ((decision: Decision) => void)[] = [];

  function apply(decision: Decision): void {
    decisions.push(decision);
    for (const listener of decisionListeners) {
      try {
        listener(decision);
      } catch (error) {
        log('warn', 'a decision listener failed', { error: String(error) });
      }
    }
    if (decisions.length > MAX_DECISIONS_KEPT) decisions.splice(0, decisions.length - MAX_DECISIONS_KEPT);
    const enforce = !decision.dryRun && !options.isDryRun;
    log(enforce ? 'warn' : 'info', `detection: ${decision.reason}`, { rule: decision.rule, action: decision.action, identity: `${decision.identity.kind}:${decision.identity.value}`, until: new Date(decision.until).toISOString(), enforced: enforce });
    if (!enforce || limiter === null || decision.banKey === null) return;
    if (decision.action === 'delay') {
      // held in the tarpit on each request until the decision ends (src/limiter/slowdowns.ts)
      limiter.slowdowns.add({ key: decision.banKey, until: decision.until, delayMs: decision.delayMs, reason: `detect:${decision.rule}` });
      return;
    }
    // ban and block refuse the identity at the gateway for their duration
    if (decision.action !== 'ban' && decision.action !== 'block') return;
    const ban = { key: decision.banKey, until: decision.until, level: decision.level, reason: `detect:${decision.rule}` };
    limiter.bans.add(ban);
    limiter.store.addBan(ban).catch((error: unknown) => log('error', 'a detection ban could not be written to the limiter store; it holds on this instance only', { key: ban.key, error: String(error) }));
  }

  const stopTimer = startDetectorTimer(detector, {
    everyMs: options.evaluateEveryMs,
    onResult: (result) => {
      for (const d of result.decisions) apply(d);
      if (alerts) for (const s of result.signals) alerts.signal(s);
    },
    onError: (error) => log('error', 'detection evaluation failed', { error: String(error) }),
  });

  return {
    detector,
    decisions,
    tap: {
      fingerprintOf: requestFingerprint,
      loginOf: logins.loginOf,
      accountOf: logins.accountOf,
      observe(event, req, params, login) {
        observeEvent(event, requestFingerprint(req), params !== null ? Object.values(params) : null, login);
      },
    },
    observeEvent,
    onDecision(listener) {
      decisionListeners = [...decisionListeners, listener];
      return () => {
        decisionListeners = decisionListeners.filter((l) => l !== listener);
      };
    },
    evaluate(now) {
      const result = detector.evaluate(now);
      for (const d of result.decisions) apply(d);
      if (alerts) for (const s of result.signals) alerts.signal(s);
    },
    async close() {
      stopTimer();
    },
  };
}

/** the path's segments where the template has a parameter, percent-decoded */
export function valuesAtParams(template: string, path: string): string[] {
  const t = template.split('/');
  const p = path.split('/');
  const out: string[] = [];
  if (t.length !== p.length) return out;
  for (let i = 0; i < t.length; i++) {
    const part = t[i]!;
    if (!part.includes('{')) continue;
    let value = p[i]!;
    // a template inside a segment ('{id}.json'): strip the static text around it
    const open = part.indexOf('{');
    const close = part.lastIndexOf('}');
    const prefix = part.slice(0, open);
    const suffix = part.slice(close + 1);
    if (prefix !== '' && value.startsWith(prefix)) value = value.slice(prefix.length);
    if (suffix !== '' && value.endsWith(suffix)) value = value.slice(0, value.length - suffix.length);
    try {
      value = decodeURIComponent(value);
    } catch {
      // keep it encoded: a stray '%' is still a value
    }
    out.push(value);
  }
  return out;
}
