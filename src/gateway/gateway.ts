import { readFileSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import { randomUUID } from 'node:crypto';
import type { Pool } from 'undici';
import { decideAccess, type AccessDecision, type AccessPolicy } from '../auth/access.ts';
import type { AccessOutcome } from '../auth/access.ts';
import type { Principal } from '../auth/types.ts';
import type { ErrorCode } from '../errors.ts';
import type { EventBus } from '../events/bus.ts';
import type { Decision, GatewayEvent, LimitEventInfo, RequestClass } from '../events/types.ts';
import type { ListenerConfig, Mode } from '../config/types.ts';
import { canonicaliseTarget } from '../http/canonical.ts';
import { normaliseIp, subnetOf } from '../http/cidr.ts';
import { resolveClientIp } from '../http/client-ip.ts';
import { buildUpstreamHeaders, checkRequestHeaders, filterResponseHeaderObject, normaliseHost } from '../http/headers.ts';
import { readBodyFields } from '../limiter/body-fields.ts';
import type { Slowdown } from '../limiter/slowdowns.ts';
import type { LoginSpec } from '../detect/logins.ts';
import type { CompiledRule } from '../limiter/plan.ts';
import { AMBIGUOUS, readPart, type RequestFacts } from '../limiter/request-values.ts';
import type { LimiterRuntime } from '../limiter/runtime.ts';
import { banKeysOf, refusedByBan, type DeferredCount, type LimitVerdict } from '../limiter/stage.ts';
import type { RouteMatch } from '../openapi/types.ts';
import type { DetectionTap } from '../detect/runtime.ts';
import type { DiscoveryTap, ResponseFacts, SampleCapture } from '../discovery/gateway-tap.ts';
import { BodyMeter } from './body-meter.ts';
import { classify, type CompiledUpstream, type GatewayPlan } from './plan.ts';
import { renderProblem, sendProblem } from './problem.ts';
import { readBody } from './read-body.ts';
import { startSweeper, type Watched } from './sweeper.ts';
import { createUpstreamPools } from './upstream-pools.ts';
import type { ZombiePolicy } from './zombie-policy.ts';

export interface GatewayOptions {
  plan: GatewayPlan;
  bus: EventBus;
  /** operational log (not the access log) */
  log?: (level: 'info' | 'warn' | 'error', message: string, detail?: Record<string, unknown>) => void;
  /** how often timeouts and rate guards are checked; default 250 ms */
  checkIntervalMs?: number;
  /** the rate limiter (store, bans, tarpit); none = no limits, no bans */
  limiter?: LimiterRuntime;
  /** inline discovery: every finished request is counted in the inventory, bodies sampled */
  discovery?: DiscoveryTap;
  /** behaviour detection: every finished request is observed; fingerprint bans are checked */
  detection?: DetectionTap;
  /**
   * epoch ms of a request's arrival (events, limits, bans); default Date.now.
   * A scenario bench runs the gateway on a faster clock so that hours of
   * traffic pass in minutes; timeouts and latencies stay on the wall clock.
   */
  clock?: () => number;
  /**
   * Scale-out: the gateway runs no detection itself but tells the analysers
   * what only it knows (fingerprint, values, login account, credential) on
   * each event (GatewayEvent.extras), and reads logins for their accounts.
   */
  enrich?: EventEnricher;
}

export interface EventEnricher {
  fingerprintOf(req: IncomingMessage): string;
  loginOf(method: string, operationId: string | null, path: string | null): LoginSpec | null;
  accountOf(spec: LoginSpec, facts: RequestFacts): string | null;
  credentialOf(req: IncomingMessage, query: string): string | null;
}

export interface Gateway {
  /** bind every listener of the plan; resolves with their addresses */
  listen(): Promise<AddressInfo[]>;
  /** swap in a new plan; in-flight requests finish on the old one */
  swapPlan(plan: GatewayPlan): Promise<void>;
  readonly plan: GatewayPlan;
  readonly servers: readonly (http.Server | https.Server)[];
  /** requests being served now */
  readonly inFlight: number;
  /** stop accepting, let in-flight requests finish (up to graceMs), then close everything */
  close(graceMs?: number): Promise<void>;
}

/** Per-request state kept for the event and the sweeper. */
interface Exchange extends Watched {
  req: IncomingMessage;
  startedAt: number;
  time: number;
  peerIp: string;
  clientIp: string;
  host: string;
  path: string | null;
  upstream: string | null;
  template: string | null;
  operationId: string | null;
  class: RequestClass;
  mode: Mode;
  decision: Decision;
  code: string | null;
  upstreamLatencyMs: number | null;
  bytesOut: number;
  /** cancels the upstream request when the client goes away */
  abort: AbortController | null;
  limit: LimitEventInfo | null;
  /** RateLimit headers for the response */
  limitHeaders: string[] | null;
  /** count-by-outcome checks to spend once the status is known */
  deferred: DeferredCount[] | null;
  /** detection decided to slow this client down (src/limiter/slowdowns.ts) */
  slowdown: Slowdown | null;
  /** a login request (detection reads the account it tried), or null */
  login: LoginSpec | null;
  account: string | null;
  /** body bytes read by the gateway itself (rules that read the body) */
  bufferedBytes: number;
  principal: string | null;
  auth: AccessOutcome | null;
  /** principal headers for the upstream */
  identity: string[] | null;
  /** body capture when discovery sampled this request */
  sample: SampleCapture | null;
  /** the response headers discovery reads (only with discovery on) */
  responseFacts: ResponseFacts | null;
  /** path parameters of the matched operation (the values detection counts) */
  params: Readonly<Record<string, string>> | null;
}

/** Where and how a classified request is forwarded. */
interface Route {
  upstream: CompiledUpstream;
  match: RouteMatch | null;
  /** raw query without '?' */
  query: string;
  pathAndQuery: string;
  isTrustedPeer: boolean;
  /** zombie headers to add (enforce mode only) */
  zombie: ZombiePolicy | null;
}

export function createGateway(options: GatewayOptions): Gateway {
  const { bus } = options;
  const log = options.log ?? (() => {});
  const clock = options.clock ?? Date.now;
  // what reads logins and fingerprints off a request: inline detection, or the scale-out enricher
  const requestReader = options.detection ?? options.enrich ?? null;
  let plan = options.plan;
  const pools = createUpstreamPools();
  const watched = new Set<Exchange>();
  const connectionsByIp = new Map<string, number>();
  let closing = false;

  const limits = plan.config.limits;
  const stopSweeper = startSweeper(watched, {
    intervalMs: options.checkIntervalMs ?? 250,
    minBodyBytesPerSecond: limits.minBodyBytesPerSecond,
    slowReadTimeoutMs: limits.slowReadTimeoutMs,
  });

  const servers = plan.config.listeners.map((listener) => {
    const httpOptions: http.ServerOptions = {
      maxHeaderSize: limits.headerBytes,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // Node checks header/request timeouts only this often (30 s by default),
      // which would let a "2 s" header timeout last half a minute
      connectionsCheckingInterval: options.checkIntervalMs ?? 250,
      requireHostHeader: true,
      insecureHTTPParser: false,
      joinDuplicateHeaders: false,
    };
    const tls = listener.tls;
    const server = tls
      ? https.createServer({
          ...httpOptions,
          cert: readFileSync(tls.cert),
          key: readFileSync(tls.key),
          ...(tls.ca ? { ca: readFileSync(tls.ca) } : {}),
          // 'request': the handshake asks for a certificate and verifies it against `ca`,
          // but lets the request through without one; the mutualTLS scheme then decides
          requestCert: tls.clientCertificates !== 'none',
          rejectUnauthorized: tls.clientCertificates === 'require',
          minVersion: 'TLSv1.2',
        }, handle)
      : http.createServer(httpOptions, handle);
    server.on(tls ? 'secureConnection' : 'connection', limitConnections);
    server.on('clientError', onClientError);
    if (tls) server.on('tlsClientError', (error: Error, socket: Socket) => socket.destroy(error));
    return server;
  });

  function limitConnections(socket: Socket): void {
    const ip = socket.remoteAddress ?? '';
    const count = (connectionsByIp.get(ip) ?? 0) + 1;
    if (count > plan.config.limits.connectionsPerClient) {
      // refuse before any parsing: a flood of idle sockets (slowloris) costs one write each
      socket.end(rawProblem('TOO_MANY_CONNECTIONS'));
      socket.destroySoon();
      return;
    }
    connectionsByIp.set(ip, count);
    socket.once('close', () => {
      const left = (connectionsByIp.get(ip) ?? 1) - 1;
      if (left <= 0) connectionsByIp.delete(ip);
      else connectionsByIp.set(ip, left);
    });
  }

  /**
   * Requests that Node's HTTP parser refuses (smuggling shapes, bad
   * characters, oversized heads, timeouts) never reach `handle`; answer them
   * here with the right status and record them as rejected.
   */
  function onClientError(error: NodeJS.ErrnoException, socket: Socket): void {
    const status = clientErrorStatus(error.code);
    if (status !== 0 && socket.writable && !(socket as Socket & { _httpMessage?: unknown })._httpMessage) {
      socket.end(rawProblem(status === 431 ? 'HEADERS_TOO_LARGE' : status === 408 ? 'REQUEST_TIMEOUT' : 'BAD_HEADER'));
    }
    socket.destroySoon();
    if (error.code === 'ECONNRESET' || status === 0) return;
    const peerIp = normaliseIp(socket.remoteAddress ?? '');
    publish({
      id: randomUUID(),
      time: clock(),
      clientIp: peerIp,
      clientSubnet: subnetOf(peerIp),
      peerIp,
      method: '',
      host: '',
      rawPath: '',
      path: null,
      upstream: null,
      template: null,
      operationId: null,
      class: 'rejected',
      mode: plan.config.mode,
      decision: 'rejected',
      code: error.code ?? 'HPE',
      status,
      latencyMs: 0,
      upstreamLatencyMs: null,
      bytesIn: 0,
      bytesOut: 0,
      userAgent: null,
      limit: null,
      principal: null,
      auth: null,
    });
  }

  function publish(event: GatewayEvent): void {
    bus.publish(event);
  }

  // hot path: everything from here runs per request
  function handle(req: IncomingMessage, res: ServerResponse): void {
    const current = plan;
    const peerIp = normaliseIp(req.socket.remoteAddress ?? '');
    const ex: Exchange = {
      req,
      res,
      body: null,
      stalledSince: 0,
      startedAt: performance.now(),
      time: clock(),
      peerIp,
      clientIp: peerIp,
      host: '',
      path: null,
      upstream: null,
      template: null,
      operationId: null,
      class: 'rejected',
      mode: current.config.mode,
      // until the gateway answers, a request that ends is one the client abandoned
      decision: 'aborted',
      code: null,
      upstreamLatencyMs: null,
      bytesOut: 0,
      abort: null,
      limit: null,
      limitHeaders: null,
      slowdown: null,
      login: null,
      account: null,
      deferred: null,
      bufferedBytes: 0,
      principal: null,
      auth: null,
      identity: null,
      sample: options.discovery ? options.discovery.startSample() : null,
      responseFacts: null,
      params: null,
    };
    watched.add(ex);
    res.once('close', () => finish(ex));
    if (closing) res.shouldKeepAlive = false;

    const headerProblem = checkRequestHeaders(req.rawHeaders);
    const host = headerProblem === null ? normaliseHost(req.headers.host) : null;
    if (host === null) {
      refuse(ex, 'BAD_HEADER', 'rejected', { close: true });
      return;
    }
    ex.host = host;

    const target = canonicaliseTarget(req.url ?? '', { rejectMatrixParams: current.config.rejectMatrixParams });
    if (!target.ok) {
      refuse(ex, 'BAD_REQUEST_TARGET', 'rejected', { close: hasBody(req) });
      return;
    }
    ex.path = target.path;

    const isTrustedPeer = current.trustedProxies.size > 0 && current.trustedProxies.has(peerIp);
    if (isTrustedPeer) {
      ex.clientIp = resolveClientIp(peerIp, headerValue(req.headers['x-forwarded-for']), headerValue(req.headers.forwarded), current.trustedProxies);
    }

    const c = classify(current, req.method ?? 'GET', host, target.path);
    ex.class = c.class;
    const upstream = c.upstream;
    const limiter = options.limiter;
    // a banned client is refused as banned wherever it goes: a scanner banned
    // for unknown paths must not keep getting 404s that tell it what exists
    const isLimitable = limiter !== undefined && !current.limiter.allow.has(ex.clientIp);
    if (isLimitable && limiter.bans.size > 0) {
      const ban = limiter.bans.find(earlyBanKeys(ex, req, current), ex.time);
      if (ban) {
        if ((upstream?.mode ?? current.config.mode) === 'enforce') {
          refuseLimited(ex, refusedByBan(ban, ex.time), hasBody(req));
          return;
        }
        ex.limit = { ...refusedByBan(ban, ex.time).info!, action: 'dry-run' };
      }
    }
    if (!upstream) {
      refuse(ex, 'NO_UPSTREAM', 'blocked', { close: hasBody(req) });
      return;
    }
    ex.upstream = upstream.name;
    ex.mode = upstream.mode;
    if (c.match) {
      ex.template = c.match.operation.template;
      ex.operationId = c.match.operation.operationId;
      ex.params = c.match.params;
    }
    if (requestReader) ex.login = requestReader.loginOf(req.method ?? 'GET', ex.operationId, ex.path);

    if (upstream.mode === 'enforce') {
      if (c.class === 'shadow') {
        refuse(ex, 'SHADOW_ENDPOINT', 'blocked', { status: upstream.config.shadowStatus, close: hasBody(req) });
        return;
      }
      if (c.zombie && ex.time >= c.zombie.sunsetAt) {
        refuse(ex, 'ZOMBIE_GONE', 'gone', { close: hasBody(req), extraHeaders: c.zombie.headers });
        return;
      }
    }

    const contentLength = req.headers['content-length'];
    if (contentLength !== undefined && Number(contentLength) > current.config.limits.bodyBytes) {
      refuse(ex, 'BODY_TOO_LARGE', 'rejected', { close: true });
      return;
    }

    const basePath = upstream.basePath;
    const forwardPath = basePath + (upstream.stripPrefix === '' ? target.path : c.routePath);
    const route: Route = {
      upstream,
      match: c.match,
      query: target.query,
      pathAndQuery: target.query === '' ? forwardPath : `${forwardPath}?${target.query}`,
      isTrustedPeer,
      // monitor mode is transparent: zombies pass without added headers
      zombie: upstream.mode === 'enforce' ? c.zombie : null,
    };

    const operation = c.match?.operation ?? null;
    const access = current.auth.policyFor(operation);
    // a retired prefix marked public stands in for the security requirement nothing under it can declare
    const isOpen = access.requirements === null && access.rules.length === 0 && (access.isPublic || (c.zombie?.isPublic ?? false));

    let rules: readonly CompiledRule[] = NO_RULES;
    if (isLimitable) {
      // hot path: no key array unless some slowdown exists (principal bans are checked again once known)
      if (limiter.slowdowns.size > 0 && upstream.mode === 'enforce') ex.slowdown = limiter.slowdowns.find(earlyBanKeys(ex, req, current), ex.time);
      if (current.limiter.hasRules) rules = current.limiter.rulesFor(upstream.name, c.class, operation, req.method ?? 'GET');
    }
    if (isOpen && rules.length === 0 && ex.slowdown === null && ex.login === null) {
      ex.auth = 'public';
      forward(ex, current, pools.get(upstream), route, null);
      return;
    }
    void admit(ex, current, route, access, isOpen, rules);
  }

  /**
   * The asynchronous stages: read the body when a stage needs it, access
   * control, then rate limits (which may key on the principal), then forward.
   */
  async function admit(ex: Exchange, current: GatewayPlan, route: Route, access: AccessPolicy, isOpen: boolean, rules: readonly CompiledRule[]): Promise<void> {
    const { req, res } = ex;
    const { upstream, match } = route;
    const operation = match?.operation ?? null;
    const isMonitor = upstream.mode === 'monitor';

    let buffered: Buffer | null = null;
    let body: unknown;
    let bodyProblem = false;
    if (hasBody(req) && (rules.some((r) => r.needsBody) || current.auth.needsBody(operation) || ex.login !== null)) {
      const read = await readBody(req, Math.min(current.limiter.config.bodyInspectBytes, current.config.limits.bodyBytes));
      if (!read.ok) {
        if (read.reason === 'too-large') refuse(ex, 'BODY_TOO_LARGE', 'rejected', { close: true });
        return;
      }
      buffered = read.body;
      ex.bufferedBytes = buffered.length;
      const fields = readBodyFields(buffered, headerValue(req.headers['content-type']));
      if (fields.ok) body = fields.value;
      else bodyProblem = true;
    }

    const facts: RequestFacts = {
      clientIp: ex.clientIp,
      operation: operation ? operation.operationId : `${req.method ?? ''} ${ex.path ?? ''}`,
      params: match?.params ?? null,
      query: route.query,
      headers: req.headers,
      rawHeaders: req.rawHeaders,
      principal: null,
      body,
    };
    if (ex.login !== null && requestReader) ex.account = requestReader.accountOf(ex.login, facts);

    // --- access control
    if (isOpen) {
      ex.auth = 'public';
    } else {
      const subnet = current.limiter.config.subnet;
      let decision: AccessDecision;
      try {
        const decided = decideAccess(access, current.auth.verifiersFor(operation), {
          method: req.method ?? 'GET',
          path: ex.path ?? '',
          query: route.query,
          headers: req.headers,
          rawHeaders: req.rawHeaders,
          peerCertificate: peerCertificateOf(req),
          peerCertificateAuthorized: (req.socket as TLSSocket).authorized === true,
          body: buffered,
          now: ex.time,
        }, (part) => {
          const v = readPart(part, facts, subnet);
          return v === AMBIGUOUS ? 'ambiguous' : v;
        });
        decision = decided instanceof Promise ? await decided : decided;
      } catch (error) {
        // a verifier fault is a bug or an outage: refuse (never admit on a fault in access control)
        log('error', 'access control failed', { error: String(error), operation: ex.operationId });
        decision = { allowed: false, outcome: 'unavailable', status: 503, challenges: [], reason: 'verifier fault', principal: null };
      }
      if (res.destroyed) return;
      ex.auth = decision.outcome;
      const principal = decision.allowed ? decision.principal : decision.principal;
      ex.principal = principal?.id ?? null;
      facts.principal = principal;
      if (!decision.allowed && !isMonitor) {
        const code: ErrorCode = decision.status === 401 ? 'UNAUTHENTICATED' : decision.status === 503 ? 'AUTH_UNAVAILABLE' : decision.outcome === 'no-rule' ? 'NO_ACCESS_RULE' : 'ACCESS_DENIED';
        const extra: string[] = [];
        for (const c of decision.challenges) extra.push('www-authenticate', c);
        // RFC 9110 §15.5.2: a 401 carries at least one challenge; API keys have no registered scheme
        if (decision.status === 401 && extra.length === 0) extra.push('www-authenticate', 'ApiKey realm="api"');
        refuse(ex, code, 'denied', { close: hasBody(req) && buffered === null, extraHeaders: extra });
        return;
      }
      ex.identity = decision.allowed && principal && current.auth.principalHeaders ? identityHeaders(principal) : null;
    }

    // --- rate limits
    const limiter = options.limiter;
    if (limiter && rules.length > 0) {
      if (bodyProblem) {
        refuse(ex, 'BAD_REQUEST_BODY', 'rejected', {});
        return;
      }
      if (facts.principal && limiter.bans.size > 0) {
        const ban = limiter.bans.find(banKeysOf(ex.clientIp, facts.principal, current.limiter.config.subnet), ex.time);
        if (ban && !isMonitor) {
          refuseLimited(ex, refusedByBan(ban, ex.time), hasBody(req) && buffered === null);
          return;
        }
      }
      let verdict: LimitVerdict;
      try {
        verdict = await limiter.stage.decide(current.limiter, rules, facts, operation, ex.time);
      } catch (error) {
        // the resilient store absorbs store faults; this is a bug, and a bug must not take the API down
        log('error', 'limiter failed; request admitted', { error: String(error) });
        verdict = { kind: 'pass', delayMs: 0, headers: [], info: null, deferred: null };
      }
      if (res.destroyed) return;
      if (verdict.kind === 'refuse' && !(isMonitor && verdict.code !== 'AMBIGUOUS_PARAMETER')) {
        refuseLimited(ex, verdict, hasBody(req) && buffered === null);
        return;
      }
      if (verdict.kind === 'refuse') {
        // monitor mode: what would have been refused is reported, not enforced
        ex.limit = verdict.info ? { ...verdict.info, action: 'dry-run' } : null;
      } else {
        ex.limit = verdict.info;
        ex.deferred = verdict.deferred;
        if (verdict.headers.length > 0 && !isMonitor) ex.limitHeaders = verdict.headers;
        if (verdict.delayMs > 0 && isMonitor && ex.limit) ex.limit = { ...ex.limit, action: 'dry-run', delayMs: 0 };
        else if (verdict.delayMs > 0) {
          const held = await holdInTarpit(ex, limiter, verdict.delayMs);
          if (res.destroyed) return;
          if (!held) {
            if (ex.limit) ex.limit = { ...ex.limit, action: 'reject', delayMs: 0 };
            refuseTarpitFull(ex, verdict.delayMs, hasBody(req) && buffered === null);
            return;
          }
        }
      }
    }

    // --- slowdowns decided by detection: on the address, subnet or fingerprint (seen early), or the principal
    if (limiter && !isMonitor && limiter.slowdowns.size > 0 && facts.principal) {
      const byPrincipal = limiter.slowdowns.find(banKeysOf(ex.clientIp, facts.principal, current.limiter.config.subnet), ex.time);
      if (byPrincipal && (ex.slowdown === null || byPrincipal.delayMs > ex.slowdown.delayMs)) ex.slowdown = byPrincipal;
    }
    if (limiter && ex.slowdown !== null && !isMonitor) {
      const slowdown = ex.slowdown;
      const held = await holdInTarpit(ex, limiter, slowdown.delayMs);
      if (res.destroyed) return;
      const info = { rule: slowdown.reason, key: slowdown.key, remaining: 0, action: held ? 'delay' as const : 'reject' as const, delayMs: held ? slowdown.delayMs : 0 };
      // a rate-limit rule's own refusal or delay is what the event already tells; else the slowdown is
      if (ex.limit === null || ex.limit.action === 'pass') ex.limit = info;
      if (!held) {
        refuseTarpitFull(ex, slowdown.delayMs, hasBody(req) && buffered === null);
        return;
      }
    }
    forward(ex, current, pools.get(upstream), route, buffered);
  }

  /** Holds the request `delayMs` in the bounded tarpit (released early if the client leaves); false when a cap is reached. */
  function holdInTarpit(ex: Exchange, limiter: LimiterRuntime, delayMs: number): Promise<boolean> {
    const left = new AbortController();
    ex.res.once('close', () => left.abort());
    return limiter.tarpit.hold(ex.clientIp, delayMs, left.signal);
  }

  function refuseTarpitFull(ex: Exchange, delayMs: number, close: boolean): void {
    refuse(ex, 'TARPIT_FULL', 'limited', { close, extraHeaders: ['retry-after', String(Math.max(1, Math.ceil(delayMs / 1000)))] });
  }

  function refuseLimited(ex: Exchange, verdict: Extract<LimitVerdict, { kind: 'refuse' }>, close: boolean): void {
    ex.limit = verdict.info;
    const decision: Decision = verdict.code === 'CLIENT_BANNED' ? 'banned' : verdict.code === 'AMBIGUOUS_PARAMETER' ? 'rejected' : 'limited';
    refuse(ex, verdict.code, decision, { close, extraHeaders: verdict.headers });
  }

  /** the ban keys known before access control: address, subnet, and the client fingerprint when detection bans by it */
  function earlyBanKeys(ex: Exchange, req: IncomingMessage, current: GatewayPlan): string[] {
    const keys = banKeysOf(ex.clientIp, null, current.limiter.config.subnet);
    if (requestReader) keys.push(`fingerprint:${requestReader.fingerprintOf(req)}`);
    return keys;
  }

  function forward(ex: Exchange, current: GatewayPlan, pool: Pool, route: Route, buffered: Buffer | null): void {
    const { req, res } = ex;
    let body: BodyMeter | Buffer | null = buffered;
    if (buffered === null && hasBody(req)) {
      const meter = new BodyMeter(current.config.limits.bodyBytes, Date.now());
      body = meter;
      ex.body = meter;
      // .pipe, not stream.pipeline: pipeline builds and aborts an AbortController
      // per call (a DOMException each time), which measured 32 % of throughput
      req.pipe(meter);
      req.once('error', (error) => meter.destroy(error));
      if (ex.sample) {
        const capture = ex.sample.request;
        req.on('data', (chunk: Buffer) => capture.add(chunk));
      }
    } else if (buffered !== null && ex.sample) {
      ex.sample.request.add(buffered);
    }
    const headers = buildUpstreamHeaders(req.rawHeaders, {
      clientIp: ex.peerIp,
      proto: (req.socket as TLSSocket).encrypted === true ? 'https' : 'http',
      host: req.headers.host ?? '',
      peerIsTrusted: route.isTrustedPeer,
      style: current.config.forwardedHeaders,
      ...(ex.identity ? { identity: ex.identity } : {}),
    });
    const zombie = route.zombie;
    const abort = new AbortController();
    ex.abort = abort;
    const sentAt = performance.now();
    pool
      .request({
        method: req.method as 'GET',
        path: route.pathAndQuery,
        headers,
        body,
        signal: abort.signal,
      })
      .then(
        (upstreamRes) => {
          ex.upstreamLatencyMs = performance.now() - sentAt;
          if (res.destroyed) {
            upstreamRes.body.destroy();
            return;
          }
          const out = filterResponseHeaderObject(upstreamRes.headers);
          if (zombie) out.push(...zombie.headers);
          if (ex.limitHeaders) out.push(...ex.limitHeaders);
          ex.decision = 'forwarded';
          res.writeHead(upstreamRes.statusCode, out);
          const upstreamBody = upstreamRes.body;
          if (options.discovery) ex.responseFacts = responseFactsOf(upstreamRes.headers);
          const capture = ex.sample?.response;
          upstreamBody.on('data', capture ? (chunk: Buffer) => {
            ex.bytesOut += chunk.length;
            capture.add(chunk);
          } : (chunk: Buffer) => {
            ex.bytesOut += chunk.length;
          });
          upstreamBody.once('error', () => {
            // the upstream broke off mid-body: the client must not take a truncated answer for a whole one
            if (!res.writableFinished) {
              ex.decision = 'upstream_error';
              res.destroy();
            }
          });
          // hot path: .pipe rather than stream.pipeline (see above)
          upstreamBody.pipe(res);
        },
        (error: NodeJS.ErrnoException) => {
          ex.upstreamLatencyMs = performance.now() - sentAt;
          if (res.headersSent || res.destroyed) return;
          const code = upstreamErrorCode(error, body instanceof BodyMeter ? body : null);
          refuse(ex, code, code === 'BODY_TOO_LARGE' || code === 'REQUEST_TIMEOUT' ? 'rejected' : 'upstream_error', { close: true });
          if (code === 'UPSTREAM_UNAVAILABLE' || code === 'UPSTREAM_TIMEOUT') {
            log('warn', 'upstream request failed', { upstream: ex.upstream, error: error.code ?? error.message });
          }
        },
      );
  }

  function refuse(
    ex: Exchange,
    code: ErrorCode,
    decision: Decision,
    options: { status?: number; close?: boolean; extraHeaders?: readonly string[] },
  ): void {
    ex.decision = decision;
    ex.code = code;
    sendProblem(ex.res, code, options);
  }

  function finish(ex: Exchange): void {
    watched.delete(ex);
    const { req, res } = ex;
    if (!res.writableFinished) {
      ex.abort?.abort();
      if (ex.decision === 'forwarded') ex.decision = 'aborted';
    }
    const ip = ex.clientIp;
    const rawUrl = req.url ?? '';
    const event: GatewayEvent = {
      id: randomUUID(),
      time: ex.time,
      clientIp: ip,
      clientSubnet: subnetOf(ip),
      peerIp: ex.peerIp,
      method: req.method ?? '',
      host: ex.host,
      rawPath: rawUrl.length > 2048 ? rawUrl.slice(0, 2048) : rawUrl,
      path: ex.path,
      upstream: ex.upstream,
      template: ex.template,
      operationId: ex.operationId,
      class: ex.class,
      mode: ex.mode,
      decision: ex.decision,
      code: ex.code,
      status: res.headersSent ? res.statusCode : 0,
      latencyMs: performance.now() - ex.startedAt,
      upstreamLatencyMs: ex.upstreamLatencyMs,
      bytesIn: ex.body ? ex.body.bytes : ex.bufferedBytes,
      bytesOut: ex.bytesOut,
      userAgent: headerValue(req.headers['user-agent']) ?? null,
      limit: ex.limit,
      principal: ex.principal,
      auth: ex.auth,
    };
    if (options.enrich) {
      const q = rawUrl.indexOf('?');
      event.extras = {
        fingerprint: options.enrich.fingerprintOf(req),
        identifiers: ex.params !== null ? Object.values(ex.params) : null,
        login: ex.login !== null ? { account: ex.account } : null,
        credential: options.enrich.credentialOf(req, q < 0 ? '' : rawUrl.slice(q + 1)),
      };
    }
    publish(event);
    if (options.discovery) {
      try {
        options.discovery.observe(event, req.headers, ex.sample, ex.responseFacts, peerCertificateOf(req) !== null);
      } catch (error) {
        // discovery never fails a request; the inventory is best effort
        log('warn', 'discovery failed on a request', { error: (error as Error).message });
      }
    }
    if (options.detection) {
      try {
        options.detection.observe(event, req, ex.params, ex.login !== null ? { account: ex.account } : null);
      } catch (error) {
        log('warn', 'detection failed on a request', { error: (error as Error).message });
      }
    }
    if (ex.deferred && res.headersSent && ex.decision === 'forwarded') options.limiter?.stage.settle(ex.deferred, res.statusCode, clock());
  }

  return {
    get plan() {
      return plan;
    },
    servers,
    get inFlight() {
      return watched.size;
    },
    async listen() {
      return Promise.all(
        servers.map((server, i) => listenOn(server, plan.config.listeners[i]!)),
      );
    },
    async swapPlan(next) {
      const listenersChanged = JSON.stringify(next.config.listeners) !== JSON.stringify(plan.config.listeners);
      if (listenersChanged) log('warn', 'listener changes take effect after a restart');
      const previous = plan;
      plan = next;
      await pools.retain(next.upstreams);
      // in-flight requests may still verify with the old plan's verifiers: close them later
      if (previous.auth !== next.auth) setTimeout(() => void previous.auth.close(), 30_000).unref();
    },
    async close(graceMs = 10_000) {
      closing = true;
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => {
        if (!s.listening) return resolve();
        s.close(() => resolve());
        s.closeIdleConnections();
      })).concat(waitForDrain(watched, graceMs).then(() => {
        for (const s of servers) s.closeAllConnections();
      })));
      stopSweeper();
      await pools.close();
      await plan.auth.close();
    },
  };
}

function listenOn(server: http.Server | https.Server, listener: ListenerConfig): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    // reusePort: several worker processes bind the same port, the kernel spreads connections (Linux SO_REUSEPORT)
    server.listen({ host: listener.host, port: listener.port, reusePort: listener.workers > 1, exclusive: true }, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

async function waitForDrain(watched: ReadonlySet<unknown>, graceMs: number): Promise<void> {
  const deadline = Date.now() + graceMs;
  while (watched.size > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 25));
  }
}

const NO_RULES: readonly CompiledRule[] = [];

function peerCertificateOf(req: IncomingMessage): PeerCertificate | null {
  const socket = req.socket as TLSSocket;
  if (socket.encrypted !== true) return null;
  const cert = socket.getPeerCertificate();
  // Node returns an empty object when the client sent none
  return cert && Object.keys(cert).length > 0 ? cert : null;
}

/**
 * What the upstream learns of the principal. Values are the gateway's own
 * (ids, scopes and roles it verified); header-unsafe characters never occur
 * in them, but they are stripped anyway so a claim cannot inject a field.
 */
const identityCache = new WeakMap<Principal, string[]>();

/** Verifiers hand out the same Principal object for a cached credential: render its headers once. */
function identityHeaders(p: Principal): string[] {
  let cached = identityCache.get(p);
  if (cached === undefined) {
    cached = renderIdentityHeaders(p);
    identityCache.set(p, cached);
  }
  return cached;
}

function renderIdentityHeaders(p: Principal): string[] {
  const clean = (v: string): string => v.replace(/[^\x20-\x7e]/g, '');
  const out = ['x-apiwarden-principal', clean(p.id), 'x-apiwarden-auth-method', p.method];
  if (p.subject) out.push('x-apiwarden-subject', clean(p.subject));
  if (p.scopes.length > 0) out.push('x-apiwarden-scopes', clean(p.scopes.join(' ')));
  if (p.roles.length > 0) out.push('x-apiwarden-roles', clean(p.roles.join(' ')));
  if (p.plan) out.push('x-apiwarden-plan', clean(p.plan));
  return out;
}

function responseFactsOf(headers: Record<string, string | string[] | undefined>): ResponseFacts {
  return {
    contentType: headerValue(headers['content-type']) ?? null,
    deprecation: headerValue(headers.deprecation) ?? null,
    sunset: headerValue(headers.sunset) ?? null,
  };
}

function hasBody(req: IncomingMessage): boolean {
  const cl = req.headers['content-length'];
  return (cl !== undefined && cl !== '0') || req.headers['transfer-encoding'] !== undefined;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

function upstreamErrorCode(error: NodeJS.ErrnoException, body: BodyMeter | null): ErrorCode {
  const bodyError = body?.errored as NodeJS.ErrnoException | null | undefined;
  if (bodyError?.code === 'BODY_TOO_LARGE') return 'BODY_TOO_LARGE';
  if (bodyError?.code === 'REQUEST_TIMEOUT') return 'REQUEST_TIMEOUT';
  switch (error.code) {
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
    case 'ETIMEDOUT':
      return 'UPSTREAM_TIMEOUT';
    default:
      return 'UPSTREAM_UNAVAILABLE';
  }
}

/** A complete HTTP/1.1 problem answer, for sockets that have no ServerResponse. */
function rawProblem(code: ErrorCode): string {
  const { status, body } = renderProblem(code);
  return (
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\ncontent-type: application/problem+json\r\n` +
    `content-length: ${body.length}\r\nconnection: close\r\n\r\n${body.toString('latin1')}`
  );
}

/** Status for a request Node's parser refused; 0 = nothing to answer (the peer is gone). */
function clientErrorStatus(code: string | undefined): number {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return 431;
    case 'ERR_HTTP_REQUEST_TIMEOUT':
    case 'HPE_HEADERS_TIMEOUT':
      return 408;
    case 'ECONNRESET':
    case 'EPIPE':
      return 0;
    default:
      return 400;
  }
}
