/**
 * The alerts module: signals from detection in, notifications to the
 * channels operators use out. Start here:
 *
 *   const config = loadAlertsConfig(policy.alerts);               // or parseAlerts(raw, checker)
 *   const manager = createAlertManager(alertManagerOptionsOf(config, { logger, baseDir }));
 *   const ticker = startAlertTicker(manager);                     // production time
 *   detector.on('firing', (signal) => manager.signal(signal));
 *   …
 *   ticker.stop(); await manager.close();
 */
export type {
  Alert, AlertLogger, AlertNotification, AlertNotificationKind, AlertSignal, AlertStatus, DigestNotification, Evidence,
  EvidenceIdentity, ExampleRequest, Notification, NotificationKind, Severity, Sink,
} from './types.ts';
export { NOTIFICATION_KINDS, SEVERITIES } from './types.ts';
export { createAlertManager, type AlertManager, type AlertManagerOptions, type AlertManagerStats, type SinkRoute } from './lifecycle.ts';
export { startAlertTicker, type AlertTicker } from './ticker.ts';
export { createDelivery, type Delivery, type DeliveryOptions, type SinkStats } from './delivery.ts';
export { SinkError, type SinkErrorCode } from './sink-error.ts';
export { fingerprintOf } from './fingerprint.ts';
export { createWebhookSink, signWebhook, type WebhookSinkOptions } from './sink-webhook.ts';
export { createSlackSink, type SlackSinkOptions } from './sink-slack.ts';
export { createPagerDutySink, type PagerDutySinkOptions } from './sink-pagerduty.ts';
export { createAlertmanagerSink, type AlertmanagerSinkOptions } from './sink-alertmanager.ts';
export { createSyslogSink, type SyslogSinkOptions } from './sink-syslog.ts';
export { createEmailSink, type EmailSinkOptions } from './sink-email.ts';
export { loadAlertsConfig, parseAlerts, AlertsConfigError, type AlertsConfig, type AlertsReporter, type AlertSecretRef, type SinkConfig } from './config.ts';
export { alertManagerOptionsOf, createSinks, type BuildOptions } from './create-sinks.ts';
export { resolveAlertSecret } from './secrets.ts';
