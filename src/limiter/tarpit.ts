/**
 * The tarpit holds over-limit requests for a while before serving them: a
 * script slows to the limit's pace while a person barely notices. Holding
 * costs memory (the socket, the request state), so the number of held
 * requests is capped in total and per client; past either cap the request is
 * refused at once (429). A held request's body is not read while it waits:
 * TCP flow control keeps it in the client's buffers, not ours, so the cap on
 * the count is a cap on memory (about one socket and one request object each,
 * measured in bench/limiter).
 */
export interface TarpitOptions {
  maxHeld: number;
  maxHeldPerClient: number;
}

export interface Tarpit {
  /**
   * Holds for `delayMs`, then resolves true; resolves false at once when a
   * cap is reached. `signal` releases the hold early (the client left).
   */
  hold(client: string, delayMs: number, signal?: AbortSignal): Promise<boolean>;
  readonly held: number;
  /** requests refused because a cap was reached, since start */
  readonly overflowed: number;
  /** release every held request at once (shutdown) */
  releaseAll(): void;
}

export function createTarpit(options: TarpitOptions): Tarpit {
  const byClient = new Map<string, number>();
  const waiting = new Set<() => void>();
  let held = 0;
  let overflowed = 0;

  return {
    get held() {
      return held;
    },
    get overflowed() {
      return overflowed;
    },
    hold(client, delayMs, signal) {
      const mine = byClient.get(client) ?? 0;
      if (held >= options.maxHeld || mine >= options.maxHeldPerClient) {
        overflowed++;
        return Promise.resolve(false);
      }
      held++;
      byClient.set(client, mine + 1);
      return new Promise<boolean>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', done);
          waiting.delete(done);
          held--;
          const left = (byClient.get(client) ?? 1) - 1;
          if (left <= 0) byClient.delete(client);
          else byClient.set(client, left);
          resolve(true);
        };
        const timer = setTimeout(done, delayMs);
        waiting.add(done);
        signal?.addEventListener('abort', done, { once: true });
      });
    },
    releaseAll() {
      for (const done of [...waiting]) done();
    },
  };
}
