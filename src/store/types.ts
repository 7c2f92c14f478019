import type { Alert } from '../alerts/types.ts';
import type { InventoryEndpoint } from '../discovery/types.ts';
import type { GatewayEvent, RequestClass } from '../events/types.ts';

/** Per-endpoint counters kept by the store. One row per (upstream, host, method, template). */
export interface EndpointRecord {
  upstream: string;
  /** host as seen ('' when absent) */
  host: string;
  method: string;
  /** the OpenAPI template when matched, else the canonical path (shadow), or '(other)' past the cap */
  template: string;
  operationId: string | null;
  /** the class of the most recent request to this endpoint */
  class: RequestClass;
  firstSeen: number;
  lastSeen: number;
  total: number;
  /** counts by status class: 1xx..5xx, plus 0 for "no response" */
  status1xx: number;
  status2xx: number;
  status3xx: number;
  status4xx: number;
  status5xx: number;
  statusNone: number;
  /** counts by request class */
  documented: number;
  shadow: number;
  zombie: number;
  unknown: number;
  rejected: number;
}

export interface InventoryQuery {
  limit?: number;
}

export interface EndpointQuery {
  class?: RequestClass;
  upstream?: string;
  limit?: number;
}

/**
 * Persistence behind one interface: SQLite (embedded) and PostgreSQL
 * (scale-out). Writes come in batches; an implementation must keep counters
 * exact under repeated batches and must not throw for one bad event.
 */
export interface Store {
  /**
   * Apply a batch of events to the endpoint counters (one transaction).
   *
   * Idempotent by `event.id`, so that a transport that redelivers
   * (JetStream after a crash) cannot count an event twice: an event is
   * skipped when an earlier event of the same batch had its id, or when an
   * earlier batch recorded its id with the same event time (a redelivery
   * is the same message; the time leads the key so that recording stays
   * cheap, see idempotency.ts). The ids are recorded in the same
   * transaction as the counters; a batch that fails records none. They are
   * kept for a retention window (`dedupeRetentionMs`, default 7 days,
   * counted back from the newest event time seen) and may be forgotten
   * after it. An event without a usable id (not a non-empty string) is
   * counted each time it is seen.
   */
  recordEvents(events: readonly GatewayEvent[]): Promise<void>;
  listEndpoints(query?: EndpointQuery): Promise<EndpointRecord[]>;
  /** replace the discovery inventory with this snapshot (one transaction) */
  saveInventory(endpoints: readonly InventoryEndpoint[]): Promise<void>;
  /** the inventory as last saved, busiest first */
  listInventory(query?: InventoryQuery): Promise<InventoryEndpoint[]>;
  /** upsert alerts by fingerprint; a stored state newer (lastSeenAt) than the one given is kept */
  saveAlerts(alerts: readonly Alert[]): Promise<void>;
  /** alerts as last saved, newest start first */
  listAlerts(query?: { limit?: number }): Promise<Alert[]>;
  close(): Promise<void>;
}
