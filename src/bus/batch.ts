/**
 * A batch: many events as JSON lines in one NATS message (per-event messages
 * would cost a JetStream ack round trip and a stored message header each).
 *
 * The message id is a hash of the payload, not a random id, so that the same
 * batch gets the same id however it is retried: straight from memory, from
 * the spool after an ack timeout, or from the spool again after a process
 * restart. JetStream then stores it once within its duplicate window. Event
 * ids are unique, so two different batches never share a hash.
 */
import { createHash } from 'node:crypto';
import type { GatewayEvent } from '../events/types.ts';

export interface Batch {
  /** JSON lines, each line ended by "\n" */
  payload: Buffer;
  /** number of events (lines) */
  count: number;
  /** the Nats-Msg-Id: base64url of the payload's SHA-256, first 128 bits */
  msgId: string;
}

export const NEWLINE = 0x0a;

export function batchOf(payload: Buffer, count: number): Batch {
  return { payload, count, msgId: createHash('sha256').update(payload).digest('base64url').slice(0, 22) };
}

/** Builds a batch from serialised events (one JSON text each, no newline). */
export function batchFromLines(lines: readonly string[]): Batch {
  return batchOf(Buffer.from(lines.length === 0 ? '' : `${lines.join('\n')}\n`), lines.length);
}

export function countLines(payload: Buffer): number {
  let n = 0;
  for (let i = payload.indexOf(NEWLINE); i !== -1; i = payload.indexOf(NEWLINE, i + 1)) n++;
  return n;
}

export interface ParsedBatch {
  events: GatewayEvent[];
  /** lines that were not a JSON object with a string id and a numeric time */
  malformed: number;
}

/**
 * Parses a message's JSON lines. A bad line is counted and skipped, not
 * fatal: the other events of the batch are still good.
 */
export function parseBatch(payload: Uint8Array): ParsedBatch {
  const text = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8');
  const events: GatewayEvent[] = [];
  let malformed = 0;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    const line = text.slice(start, end);
    start = end + 1;
    if (line.trim() === '') continue;
    try {
      const value: unknown = JSON.parse(line);
      if (isEventLike(value)) events.push(value);
      else malformed++;
    } catch {
      malformed++;
    }
  }
  return { events, malformed };
}

function isEventLike(value: unknown): value is GatewayEvent {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  return typeof v.id === 'string' && v.id !== '' && typeof v.time === 'number';
}
