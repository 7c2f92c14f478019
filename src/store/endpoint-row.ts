/**
 * An endpoint counters row (the same column names in SQLite and
 * PostgreSQL, see their schemas) as the Store interface returns it.
 */
import type { RequestClass } from '../events/types.ts';
import type { EndpointRecord } from './types.ts';

export function endpointRecordOf(row: Record<string, unknown>): EndpointRecord {
  return {
    upstream: row.upstream as string,
    host: row.host as string,
    method: row.method as string,
    template: row.template as string,
    operationId: (row.operation_id as string | null) ?? null,
    class: row.class as RequestClass,
    firstSeen: row.first_seen as number,
    lastSeen: row.last_seen as number,
    total: row.total as number,
    status1xx: row.status_1xx as number,
    status2xx: row.status_2xx as number,
    status3xx: row.status_3xx as number,
    status4xx: row.status_4xx as number,
    status5xx: row.status_5xx as number,
    statusNone: row.status_none as number,
    documented: row.documented as number,
    shadow: row.shadow as number,
    zombie: row.zombie as number,
    unknown: row.unknown as number,
    rejected: row.rejected as number,
  };
}
