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
 * Persistence behind one interface: SQLite now, PostgreSQL later. Writes
 * come in batches; an implementation must keep counters exact under
 * repeated batches and must not throw for one bad event.
 */
export interface Store {
  /** apply a batch of events to the endpoint counters (one transaction) */
  recordEvents(events: readonly GatewayEvent[]): Promise<void>;
  listEndpoints(query?: EndpointQuery): Promise<EndpointRecord[]>;
  /** replace the discovery inventory with this snapshot (one transaction) */
  saveInventory(endpoints: readonly InventoryEndpoint[]): Promise<void>;
  /** the inventory as last saved, busiest first */
  listInventory(query?: InventoryQuery): Promise<InventoryEndpoint[]>;
  close(): Promise<void>;
}
