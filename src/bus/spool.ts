/**
 * The publisher's disk spool: where batches go while JetStream cannot take
 * them, so an outage of NATS costs disk, not memory and not the gateway.
 *
 * Layout: `spoolDir/seg-<12-digit sequence>.jsonl`, append-only. Each batch
 * is written as its JSON lines followed by one empty line, so a segment is
 * still plain JSON lines (skip empty lines) and a batch can be re-read with
 * the same bytes, hence the same message id (batch.ts), for de-duplication.
 * A new process never appends to an old segment, so a write torn by a crash
 * can only be at the end of a segment; its complete lines are salvaged.
 *
 * Bound: `maxBytes` over the segment files, never exceeded. Before each
 * write, while the write would pass it, the oldest segment not being drained
 * is deleted and its events are counted as dropped (the newest events are
 * worth more to an analyser); if only the segment being drained is left, the
 * new batch is dropped instead (and counted). Segments are `maxBytes / 8` (4 KiB to 8 MiB) so a drop loses
 * about an eighth of the spool, not all of it. Batches waiting to be written
 * are bounded too (`queueMaxBytes`); past it the oldest queued batch is
 * dropped, which only happens when the disk is slower than the gateway.
 *
 * Durability: data is fdatasync'ed at most `syncIntervalMs` (1 s) after it is
 * written, when a segment is sealed, on `sync()` and on `close()`; the
 * directory (new segment names) at the same times. A process crash loses
 * nothing that was written (the page cache survives); a power loss or kernel
 * crash can lose up to about `syncIntervalMs` of spooled events.
 *
 * One process per directory: a LOCK file holds the owner's pid (a stale lock
 * of a dead process is taken over), since two publishers draining and
 * deleting the same segments would duplicate and lose events.
 */
import { constants } from 'node:fs';
import { mkdir, open, readdir, readFile, stat, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { batchOf, countLines, NEWLINE, type Batch } from './batch.ts';
import type { BusLog } from './log.ts';

export interface SpoolOptions {
  dir: string;
  maxBytes: number;
  /** default maxBytes / 8, clamped to 4 KiB … 8 MiB */
  segmentBytes?: number;
  /** default 1000 ms */
  syncIntervalMs?: number;
  /** batches waiting for the disk, default 32 MiB */
  queueMaxBytes?: number;
  log: BusLog;
  /** called when queued events are settled: written to disk, or dropped before they were */
  onSettled?: (events: number) => void;
}

export interface SpoolSegment {
  seq: number;
  path: string;
  bytes: number;
  /** events in the file not yet acknowledged by JetStream */
  events: number;
  /** indexes of records already acknowledged while this process drained the segment */
  acked: Set<number>;
  draining: boolean;
  /** a torn tail was found and counted as dropped (count it once) */
  tornCounted: boolean;
}

/** A record read back from a segment, for the drainer. */
export interface SpoolRecord {
  index: number;
  batch: Batch;
}

export interface SpoolStats {
  /** events written to the spool since start */
  spooled: number;
  /** events lost: segments deleted past the bound, queue overflow, write errors, torn lines */
  dropped: number;
  /** bytes of segment files on disk */
  bytes: number;
  /** events waiting to be written */
  queuedEvents: number;
  /** events on disk not yet acknowledged */
  events: number;
  segments: number;
}

const SEGMENT_RE = /^seg-(\d{12})\.jsonl$/;
const SEPARATOR = Buffer.from('\n');
const WRITE_CHUNK_BYTES = 4 * 1024 * 1024;
const openDirs = new Set<string>();

export async function openSpool(options: SpoolOptions): Promise<Spool> {
  const dir = resolve(options.dir);
  await mkdir(dir, { recursive: true });
  await lockDir(dir);
  try {
    const spool = new Spool(dir, options);
    await spool.scan();
    return spool;
  } catch (error) {
    await unlockDir(dir);
    throw error;
  }
}

export class Spool {
  readonly dir: string;
  readonly maxBytes: number;
  readonly segmentBytes: number;
  private readonly syncIntervalMs: number;
  private readonly queueMaxBytes: number;
  private readonly log: BusLog;
  private readonly onSettled: (events: number) => void;

  private segments: SpoolSegment[] = [];
  private active: SpoolSegment | null = null;
  private fh: FileHandle | null = null;
  private dirty = false;
  /** a segment was created since the directory was last fsync'ed */
  private dirDirty = false;
  private nextSeq = 1;
  private diskBytes = 0;
  private queue: Batch[] = [];
  private queueBytes = 0;
  private queueEvents = 0;
  private writing = false;
  private idleWaiters: (() => void)[] = [];
  private syncTimer: NodeJS.Timeout | null = null;
  /** serialises every file operation: writes, seals, deletes, syncs */
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  private spooled = 0;
  private dropped = 0;
  private lastDropLog = 0;

  constructor(dir: string, options: SpoolOptions) {
    this.dir = dir;
    this.maxBytes = Math.max(1, options.maxBytes);
    this.segmentBytes = options.segmentBytes ?? Math.min(8 * 1024 * 1024, Math.max(4096, Math.floor(this.maxBytes / 8)));
    this.syncIntervalMs = options.syncIntervalMs ?? 1000;
    this.queueMaxBytes = options.queueMaxBytes ?? 32 * 1024 * 1024;
    this.log = options.log;
    this.onSettled = options.onSettled ?? (() => {});
  }

  /** Finds the segments a previous process left, oldest first, and counts their events. */
  async scan(): Promise<void> {
    const names = (await readdir(this.dir)).filter((n) => SEGMENT_RE.test(n)).sort();
    for (const name of names) {
      const seq = Number(SEGMENT_RE.exec(name)?.[1]);
      const path = join(this.dir, name);
      const bytes = (await stat(path)).size;
      const { records } = parseSegment(await readFile(path));
      const events = records.reduce((sum, r) => sum + r.count, 0);
      this.segments.push({ seq, path, bytes, events, acked: new Set(), draining: false, tornCounted: false });
      this.diskBytes += bytes;
      this.nextSeq = Math.max(this.nextSeq, seq + 1);
    }
    if (this.segments.length > 0) {
      this.log('info', 'bus: spool holds events from a previous run; they will be sent first', {
        dir: this.dir,
        segments: this.segments.length,
        events: this.stats().events,
        bytes: this.diskBytes,
      });
    }
  }

  /** Queues a batch for the disk; never blocks (the write happens in the background). */
  append(batch: Batch): void {
    if (this.closed) {
      this.countDropped(batch.count, 'spool closed');
      this.onSettled(batch.count);
      return;
    }
    this.queue.push(batch);
    this.queueBytes += batch.payload.length + 1;
    this.queueEvents += batch.count;
    while (this.queueBytes > this.queueMaxBytes && this.queue.length > 1) {
      const oldest = this.queue.shift()!;
      this.queueBytes -= oldest.payload.length + 1;
      this.queueEvents -= oldest.count;
      this.countDropped(oldest.count, 'the disk is slower than the event rate');
      this.onSettled(oldest.count);
    }
    this.kick();
  }

  /** True when anything is on disk or on its way there. */
  hasData(): boolean {
    return this.segments.length > 0 || this.queue.length > 0;
  }

  stats(): SpoolStats {
    let events = 0;
    for (const s of this.segments) events += s.events;
    return {
      spooled: this.spooled,
      dropped: this.dropped,
      bytes: this.diskBytes,
      queuedEvents: this.queueEvents,
      events,
      segments: this.segments.length,
    };
  }

  /** The oldest segment, sealed and reserved for the drainer; null when the disk holds none. */
  takeOldest(): Promise<SpoolSegment | null> {
    return this.exclusive(async () => {
      const segment = this.segments.find((s) => !s.draining) ?? null;
      if (!segment) return null;
      if (segment === this.active) await this.seal();
      segment.draining = true;
      return segment;
    });
  }

  /** The records of a reserved segment that this process has not had acknowledged yet. */
  async read(segment: SpoolSegment): Promise<SpoolRecord[]> {
    let data: Buffer;
    try {
      data = await readFile(segment.path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const { records, tornLines } = parseSegment(data);
    if (tornLines > 0 && !segment.tornCounted) {
      segment.tornCounted = true;
      this.log('warn', 'bus: spool segment ends with a torn write; its incomplete line is dropped', { path: segment.path });
      this.countDropped(tornLines, 'torn write');
    }
    const out: SpoolRecord[] = [];
    let events = 0;
    records.forEach((r, index) => {
      if (segment.acked.has(index)) return;
      out.push({ index, batch: batchOf(r.payload, r.count) });
      events += r.count;
    });
    segment.events = events;
    return out;
  }

  /** Records that JetStream acknowledged: not counted as pending any more, and skipped if the segment is read again. */
  acked(segment: SpoolSegment, record: SpoolRecord): void {
    if (segment.acked.has(record.index)) return;
    segment.acked.add(record.index);
    segment.events -= record.batch.count;
  }

  /** The segment is fully acknowledged: delete it. */
  finish(segment: SpoolSegment): Promise<void> {
    return this.exclusive(async () => {
      await this.remove(segment);
    });
  }

  /** The drainer gives up on the segment for now (JetStream went away); it stays first in line. */
  release(segment: SpoolSegment): void {
    segment.draining = false;
  }

  /** Resolves when every queued batch is on disk and synced. */
  async sync(): Promise<void> {
    await this.idle();
    await this.exclusive(() => this.syncActive());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.idle();
    this.closed = true;
    if (this.syncTimer) clearTimeout(this.syncTimer);
    await this.exclusive(async () => {
      await this.seal();
      await this.syncActive(); // the directory, if a segment was created since the last sync
    });
    await unlockDir(this.dir);
  }

  private idle(): Promise<void> {
    if (!this.writing && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn);
    this.chain = run.then(
      () => {},
      () => {},
    );
    return run;
  }

  private kick(): void {
    if (this.writing || this.queue.length === 0) return;
    this.writing = true;
    void this.exclusive(() => this.writeQueued())
      .catch((error: unknown) => this.log('error', 'bus: spool writer failed', { error: String(error) }))
      .finally(() => {
        this.writing = false;
        if (this.queue.length > 0) {
          this.kick();
          return;
        }
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const w of waiters) w();
      });
  }

  private async writeQueued(): Promise<void> {
    while (this.queue.length > 0) {
      const firstSize = this.queue[0]!.payload.length + 1;
      const rotates = this.active !== null && this.active.bytes > 0 && this.active.bytes + firstSize > this.segmentBytes;
      const base = this.active && !rotates ? this.active.bytes : 0;
      const chunk: Buffer[] = [];
      let bytes = 0;
      let events = 0;
      // one writev per chunk, never across a segment boundary
      while (this.queue.length > 0) {
        const next = this.queue[0]!;
        const size = next.payload.length + 1;
        if (chunk.length > 0 && (base + bytes + size > this.segmentBytes || bytes + size > WRITE_CHUNK_BYTES)) break;
        this.queue.shift();
        this.queueBytes -= size;
        this.queueEvents -= next.count;
        chunk.push(next.payload, SEPARATOR);
        bytes += size;
        events += next.count;
      }
      // the bound holds before the write, not just after it
      await this.makeRoom(bytes);
      if (this.diskBytes + bytes > this.maxBytes) {
        // only the segment being drained is left, or the chunk alone is over the bound
        this.countDropped(events, `spool full (${this.maxBytes} bytes)`);
        this.onSettled(events);
        continue;
      }
      const segment = await this.activeFor(firstSize);
      try {
        const { bytesWritten } = await this.fh!.writev(chunk);
        if (bytesWritten !== bytes) throw new Error(`short write: ${bytesWritten} of ${bytes} bytes`);
      } catch (error) {
        // a part may be on disk; sealing puts any torn tail at the end of its segment, where it is salvaged
        this.log('error', 'bus: cannot write the spool; events dropped', { dir: this.dir, error: String(error) });
        this.countDropped(events, 'write error');
        this.onSettled(events);
        const size = await stat(segment.path).then((s) => s.size).catch(() => segment.bytes);
        this.diskBytes += size - segment.bytes;
        segment.bytes = size;
        await this.seal().catch(() => {});
        continue;
      }
      segment.bytes += bytes;
      segment.events += events;
      this.diskBytes += bytes;
      this.spooled += events;
      this.dirty = true;
      this.scheduleSync();
      this.onSettled(events);
    }
  }

  /** The segment to append `size` bytes to: the open one, or a new one past the segment size. */
  private async activeFor(size: number): Promise<SpoolSegment> {
    if (this.active && this.active.bytes > 0 && this.active.bytes + size > this.segmentBytes) await this.seal();
    if (this.active) return this.active;
    const seq = this.nextSeq++;
    const path = join(this.dir, `seg-${String(seq).padStart(12, '0')}.jsonl`);
    this.fh = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND, 0o600);
    const segment: SpoolSegment = { seq, path, bytes: 0, events: 0, acked: new Set(), draining: false, tornCounted: false };
    this.segments.push(segment);
    this.active = segment;
    this.dirDirty = true;
    return segment;
  }

  /** Closes the open segment; `sync` false when it is about to be deleted anyway. */
  private async seal(sync = true): Promise<void> {
    if (!this.fh) {
      this.active = null;
      return;
    }
    const fh = this.fh;
    this.fh = null;
    this.active = null;
    try {
      if (this.dirty && sync) await fh.datasync();
    } finally {
      this.dirty = false;
      await fh.close();
    }
  }

  private async syncActive(): Promise<void> {
    if (this.fh && this.dirty) {
      this.dirty = false;
      await this.fh.datasync();
    }
    if (this.dirDirty) {
      this.dirDirty = false;
      await syncDir(this.dir);
    }
  }

  private scheduleSync(): void {
    if (this.syncTimer) return;
    this.syncTimer = setTimeout(() => {
      this.syncTimer = null;
      void this.exclusive(() => this.syncActive()).catch((error: unknown) =>
        this.log('error', 'bus: spool fdatasync failed', { error: String(error) }),
      );
    }, this.syncIntervalMs);
    this.syncTimer.unref();
  }

  /** Deletes the oldest segments the drainer does not hold until `incoming` more bytes fit the bound. */
  private async makeRoom(incoming: number): Promise<void> {
    while (this.diskBytes + incoming > this.maxBytes) {
      const victim = this.segments.find((s) => !s.draining);
      if (!victim) return;
      if (victim === this.active) await this.seal(false);
      this.countDropped(victim.events, `spool past its bound of ${this.maxBytes} bytes; oldest segment deleted`);
      await this.remove(victim);
    }
  }

  private async remove(segment: SpoolSegment): Promise<void> {
    await unlink(segment.path).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
    const i = this.segments.indexOf(segment);
    if (i !== -1) this.segments.splice(i, 1);
    this.diskBytes -= segment.bytes;
    segment.events = 0;
  }

  private countDropped(events: number, why: string): void {
    if (events <= 0) return;
    this.dropped += events;
    const now = Date.now();
    // at most one line per 10 s: an outage can drop segments every few ms
    if (now - this.lastDropLog >= 10_000) {
      this.lastDropLog = now;
      this.log('warn', 'bus: events dropped from the spool', { why, events, droppedTotal: this.dropped, dir: this.dir });
    }
  }
}

interface RawRecord {
  payload: Buffer;
  count: number;
}

/**
 * Splits a segment into its batches (separated by an empty line). Bytes after
 * the last separator are a torn write: its complete JSON lines form one more
 * batch, an incomplete last line is dropped.
 */
export function parseSegment(data: Buffer): { records: RawRecord[]; tornLines: number } {
  const records: RawRecord[] = [];
  let start = 0;
  while (start < data.length) {
    const sep = data.indexOf('\n\n', start);
    if (sep === -1) break;
    const payload = data.subarray(start, sep + 1);
    if (payload.length > 1) records.push({ payload, count: countLines(payload) });
    start = sep + 2;
  }
  let tornLines = 0;
  if (start < data.length) {
    const tail = data.subarray(start);
    const lastNewline = tail.lastIndexOf(NEWLINE);
    const complete = lastNewline === -1 ? Buffer.alloc(0) : tail.subarray(0, lastNewline + 1);
    const good: Buffer[] = [];
    for (const line of complete.toString('utf8').split('\n')) {
      if (line === '') continue;
      try {
        JSON.parse(line);
        good.push(Buffer.from(`${line}\n`));
      } catch {
        tornLines++;
      }
    }
    if (lastNewline !== tail.length - 1) tornLines++;
    if (good.length > 0) records.push({ payload: Buffer.concat(good), count: good.length });
  }
  return { records, tornLines };
}

async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, constants.O_RDONLY);
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // not every filesystem lets a directory be fsync'ed; the data itself still is
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function lockDir(dir: string): Promise<void> {
  if (openDirs.has(dir)) throw new Error(`bus: spool dir ${dir} is already open in this process`);
  const lockPath = join(dir, 'LOCK');
  try {
    await writeFile(lockPath, String(process.pid), { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const owner = Number((await readFile(lockPath, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
      throw new Error(`bus: spool dir ${dir} is in use by process ${owner} (one publisher per spool dir)`, { cause: error });
    }
    await writeFile(lockPath, String(process.pid));
  }
  openDirs.add(dir);
}

async function unlockDir(dir: string): Promise<void> {
  openDirs.delete(dir);
  await unlink(join(dir, 'LOCK')).catch(() => {});
}
