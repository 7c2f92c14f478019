/**
 * The JetStream stream that holds gateway events, created by whoever comes
 * first (a publisher or an analyser), so neither has to be started before the
 * other and a fresh NATS server needs no manual setup.
 *
 * Limits retention (not work-queue): several analyser groups may read the
 * same events, and the stream keeps them for `maxAgeMs` whatever the
 * consumers do. File storage, so events survive a NATS restart. The
 * 2-minute duplicate window is what makes a retried publish (ack lost,
 * spool drained twice) harmless: the same msgID is stored once.
 */
import {
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';

export const DEFAULT_STREAM = 'APIWARDEN_EVENTS';
export const DEFAULT_SUBJECT = 'apiwarden.events';
export const DUPLICATE_WINDOW_MS = 2 * 60_000;
export const DEFAULT_MAX_AGE_MS = 7 * 24 * 3600_000;

export interface StreamOptions {
  stream: string;
  subject: string;
  /** how long events are kept; default 7 days */
  maxAgeMs?: number;
  /** a byte cap on the stream (oldest discarded first); default none */
  maxBytes?: number;
}

export function streamConfig(options: StreamOptions): Partial<StreamConfig> & { name: string } {
  return {
    name: options.stream,
    subjects: [options.subject],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    max_age: nanos(options.maxAgeMs ?? DEFAULT_MAX_AGE_MS),
    max_bytes: options.maxBytes ?? -1,
    duplicate_window: nanos(DUPLICATE_WINDOW_MS),
    num_replicas: 1,
  };
}

export function isApiError(error: unknown, code: number): boolean {
  return error instanceof JetStreamApiError && error.code === code;
}

/**
 * Creates the stream when it does not exist. An existing stream is left as
 * it is (an operator may have tuned replicas or limits): only a missing
 * subject is an error, since events would then be refused.
 */
export async function ensureStream(jsm: JetStreamManager, options: StreamOptions): Promise<void> {
  try {
    const info = await jsm.streams.info(options.stream);
    const subjects = info.config.subjects ?? [];
    if (!subjects.includes(options.subject)) {
      throw new Error(`stream ${options.stream} exists without subject ${options.subject} (has ${subjects.join(', ')})`);
    }
    return;
  } catch (error) {
    if (!isApiError(error, JetStreamApiCodes.StreamNotFound)) throw error;
  }
  try {
    await jsm.streams.add(streamConfig(options));
  } catch (error) {
    // another gateway or analyser created it between our info and add
    if (!isApiError(error, 10058 /* stream name already in use */)) throw error;
  }
}
