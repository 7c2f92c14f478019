/**
 * From the parsed `alerts:` section to a running manager's options: secrets
 * resolved, sinks built, routes and delivery options set. Kept apart from
 * config.ts so that parsing never touches the environment or the disk.
 */
import { ApiwardenError } from '../errors.ts';
import type { AlertsConfig, SinkConfig } from './config.ts';
import type { AlertManagerOptions, SinkRoute } from './lifecycle.ts';
import { resolveAlertSecret, type SecretSources } from './secrets.ts';
import { createAlertmanagerSink } from './sink-alertmanager.ts';
import { createEmailSink } from './sink-email.ts';
import { createPagerDutySink } from './sink-pagerduty.ts';
import { createSlackSink } from './sink-slack.ts';
import { createSyslogSink } from './sink-syslog.ts';
import { createWebhookSink } from './sink-webhook.ts';
import type { AlertLogger, Sink } from './types.ts';

export interface BuildOptions extends SecretSources {
  logger?: AlertLogger;
  clock?: () => number;
}

function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

function buildSink(s: SinkConfig, index: number, sources: SecretSources): Sink {
  const at = `alerts.sinks[${index}]`;
  const secret = (field: string, ref: Parameters<typeof resolveAlertSecret>[0]) => resolveAlertSecret(ref, `${at}.${field}`, sources);
  const timeout = s.timeoutMs === null ? {} : { timeoutMs: s.timeoutMs };
  switch (s.type) {
    case 'webhook':
      return createWebhookSink({ name: s.name, url: s.url, secret: secret('secret', s.secret), ...timeout });
    case 'slack': {
      const url = secret('url', s.url);
      // not parseHttpUrl: its message quotes the value, and this value is the credential
      if (!isHttpUrl(url)) throw new ApiwardenError('ALERT_SECRET_UNAVAILABLE', `${at}.url: the secret is not an http:// or https:// URL`);
      return createSlackSink({ name: s.name, url, link: s.link, ...timeout });
    }
    case 'pagerduty':
      return createPagerDutySink({ name: s.name, routingKey: secret('routingKey', s.routingKey), link: s.link, ...(s.url ? { url: s.url } : {}), ...(s.source ? { source: s.source } : {}), ...timeout });
    case 'alertmanager':
      return createAlertmanagerSink({ name: s.name, url: s.url, link: s.link, ...timeout });
    case 'syslog':
      return createSyslogSink({
        name: s.name, protocol: s.protocol, host: s.host, port: s.port, facility: s.facility, appName: s.appName,
        ...(s.hostname ? { hostname: s.hostname } : {}), ...(s.maxMessageBytes ? { maxMessageBytes: s.maxMessageBytes } : {}), ...timeout,
      });
    case 'email':
      return createEmailSink({
        name: s.name, host: s.host, secure: s.secure, from: s.from, to: s.to, link: s.link,
        ...(s.port !== null ? { port: s.port } : {}),
        ...(s.requireTls !== null ? { requireTls: s.requireTls } : {}),
        ...(s.user !== null ? { user: s.user } : {}),
        ...(s.password !== null ? { password: secret('password', s.password) } : {}),
        ...timeout,
      });
  }
}

/** The sinks of the config with their routes. Throws one error listing every secret that cannot be resolved. */
export function createSinks(config: AlertsConfig, sources: SecretSources = {}): SinkRoute[] {
  const routes: SinkRoute[] = [];
  const problems: string[] = [];
  config.sinks.forEach((s, i) => {
    try {
      routes.push({ sink: buildSink(s, i, sources), minSeverity: s.minSeverity, ...(s.kinds ? { kinds: s.kinds } : {}), delivery: s.delivery });
    } catch (err) {
      problems.push(err instanceof Error ? err.message : String(err));
    }
  });
  if (problems.length > 0) {
    for (const r of routes) void Promise.resolve(r.sink.close?.()).catch(() => {});
    throw new ApiwardenError('ALERT_SECRET_UNAVAILABLE', problems.join('\n'));
  }
  return routes;
}

/** Everything createAlertManager needs, from the config. */
export function alertManagerOptionsOf(config: AlertsConfig, options: BuildOptions = {}): AlertManagerOptions {
  return {
    resolveAfterMs: config.resolveAfterMs,
    repeatIntervalMs: config.repeatIntervalMs,
    groupWaitMs: config.groupWaitMs,
    groupBy: config.groupBy,
    maxNotificationsPerMinute: config.maxNotificationsPerMinute,
    maxFiring: config.maxFiring,
    maxResolvedKept: config.maxResolvedKept,
    delivery: config.delivery,
    sinks: createSinks(config, options),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  };
}
