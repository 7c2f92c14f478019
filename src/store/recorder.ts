import type { EventListener } from '../events/bus.ts';
import type { GatewayEvent } from '../events/types.ts';
import type { Store } from './types.ts';

export interface EventRecorderOptions {
  /** how often pending events are written, ms */
  flushIntervalMs: number;
  /** most events per store write; a full batch is written without waiting for the timer. Default 1,000. */
  maxBatch?: number;
  /** most events held in memory; past it the oldest are dropped. Default 100,000. */
  maxPending?: number;
  /** told about every failed write (its events are dropped); must not throw, but may */
  onError?: (error: unknown) => void;
}

export interface EventRecorderStats {
  /** events written to the store */
  recorded: number;
  /** events lost: a failed write's batch, overflow past maxPending, or published after close */
  dropped: number;
  /** store writes that failed */
  failedWrites: number;
  /** events waiting to be written */
  pending: number;
}

export interface EventRecorder {
  /** subscribe this to the event bus */
  readonly listener: EventListener;
  /** write everything pending now; never rejects */
  flush(): Promise<void>;
  /** stop the timer and write what is left; the store stays open (its owner closes it) */
  close(): Promise<void>;
  readonly stats: Readonly<EventRecorderStats>;
}

const DEFAULT_MAX_BATCH = 1000;
const DEFAULT_MAX_PENDING = 100_000;

/**
 * A fixed-capacity FIFO that overwrites its oldest entry when full. Pushing
 * is O(1) with no allocation once the slots exist, which is what the request
 * path can afford; Array#shift would be O(n) per dropped event.
 */
class RingBuffer<T> {
  readonly #slots: (T | undefined)[] = [];
  readonly #capacity: number;
  #head = 0;
  #size = 0;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#size;
  }

  /** @returns true when the oldest entry was overwritten */
  push(value: T): boolean {
    if (this.#size === this.#capacity) {
      this.#slots[this.#head] = value;
      this.#head = (this.#head + 1) % this.#capacity;
      return true;
    }
    const tail = (this.#head + this.#size) % this.#capacity;
    // The array grows as needed up to capacity, so an idle recorder does
    // not hold maxPending slots.
    if (tail === this.#slots.length) this.#slots.push(value);
    else this.#slots[tail] = value;
    this.#size += 1;
    return false;
  }

  /** remove and return up to `count` oldest entries */
  take(count: number): T[] {
    const n = Math.min(count, this.#size);
    const out = new Array<T>(n);
    for (let i = 0; i < n; i += 1) {
      out[i] = this.#slots[this.#head] as T;
      // release the event for the garbage collector now, not when the slot is reused
      this.#slots[this.#head] = undefined;
      this.#head = (this.#head + 1) % this.#capacity;
    }
    this.#size -= n;
    return out;
  }
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
  return value;
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Buffers bus events and writes them to a Store in batches, off the request
 * path. The listener only appends to a bounded buffer; a timer and a
 * full-batch trigger flush it, one write at a time. A failing store costs
 * the events of the failed batch, counted and reported, and nothing else:
 * no retry loop, no unbounded memory, no exception towards the bus.
 */
export function createEventRecorder(store: Store, options: EventRecorderOptions): EventRecorder {
  const flushIntervalMs = positiveInteger('flushIntervalMs', options.flushIntervalMs);
  const maxBatch = positiveInteger('maxBatch', options.maxBatch ?? DEFAULT_MAX_BATCH);
  const maxPending = positiveInteger('maxPending', options.maxPending ?? DEFAULT_MAX_PENDING);
  const onError = options.onError ?? (() => {});

  const buffer = new RingBuffer<GatewayEvent>(maxPending);
  const counters = { recorded: 0, dropped: 0, failedWrites: 0 };
  let inFlight: Promise<void> | null = null;
  let immediate: ReturnType<typeof setImmediate> | null = null;
  let isClosed = false;
  let closing: Promise<void> | null = null;

  function report(error: unknown): void {
    try {
      onError(error);
    } catch {
      // The reporter failing is no reason to stop recording.
    }
  }

  async function writeBatch(batch: GatewayEvent[]): Promise<void> {
    try {
      await store.recordEvents(batch);
      counters.recorded += batch.length;
    } catch (error) {
      // Dropped, not retried: a store that is down would otherwise make
      // every flush retry an ever larger backlog. maxPending bounds what
      // waits while a write is slow; a failed one is given up.
      counters.failedWrites += 1;
      counters.dropped += batch.length;
      report(error);
    }
  }

  async function drain(): Promise<void> {
    // Only what is pending now: under steady load a drain must end, so that
    // flush() callers are answered and the timer can schedule the next one.
    let remaining = buffer.size;
    while (remaining > 0 && buffer.size > 0) {
      const batch = buffer.take(Math.min(maxBatch, remaining));
      remaining -= batch.length;
      await writeBatch(batch);
      // A synchronous store (SQLite) resolves at once; yielding between
      // batches lets requests run while a large backlog is written.
      if (remaining > 0) await yieldToEventLoop();
    }
  }

  async function flush(): Promise<void> {
    // One write at a time: wait for the running drain, then start one for
    // whatever is still pending (events pushed meanwhile included).
    while (inFlight !== null) await inFlight;
    if (buffer.size === 0) return;
    inFlight = drain().finally(() => {
      inFlight = null;
      if (!isClosed && buffer.size >= maxBatch) scheduleImmediateFlush();
    });
    await inFlight;
  }

  function scheduleImmediateFlush(): void {
    if (immediate !== null) return;
    immediate = setImmediate(() => {
      immediate = null;
      void flush();
    });
  }

  const timer = setInterval(() => void flush(), flushIntervalMs);
  // The recorder must not keep a process alive that has nothing else to do.
  timer.unref();

  // hot path: called synchronously for every request by the bus.
  const listener: EventListener = (event) => {
    if (isClosed) {
      counters.dropped += 1;
      return;
    }
    if (buffer.push(event)) counters.dropped += 1;
    // While a drain runs it reschedules itself when it ends; no need here.
    if (buffer.size >= maxBatch && inFlight === null) scheduleImmediateFlush();
  };

  const stats: Readonly<EventRecorderStats> = {
    get recorded() {
      return counters.recorded;
    },
    get dropped() {
      return counters.dropped;
    },
    get failedWrites() {
      return counters.failedWrites;
    },
    get pending() {
      return buffer.size;
    },
  };

  return {
    listener,
    flush,
    close() {
      closing ??= (async () => {
        isClosed = true;
        clearInterval(timer);
        if (immediate !== null) {
          clearImmediate(immediate);
          immediate = null;
        }
        await flush();
      })();
      return closing;
    },
    stats,
  };
}
