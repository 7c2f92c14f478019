import { Transform, type TransformCallback } from 'node:stream';
import { ApiwardenError } from '../errors.ts';

/**
 * Counts request body bytes on their way upstream, refuses a body past the
 * size cap, and lets the sweeper cut one that arrives slower than the
 * minimum rate (slow-body / "R-U-Dead-Yet" attacks). The chunks are passed
 * on untouched.
 */
export class BodyMeter extends Transform {
  bytes = 0;
  readonly startedAt: number;
  readonly #limit: number;

  constructor(limit: number, now: number) {
    super();
    this.#limit = limit;
    this.startedAt = now;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.#limit) {
      callback(new ApiwardenError('BODY_TOO_LARGE', `request body over ${this.#limit} bytes`));
      return;
    }
    callback(null, chunk);
  }
}
