/**
 * A task that runs at most once at a time: a call while it runs gets that
 * run's promise. `.finally` is attached to the promise rather than written
 * inside the task, so that a task which returns without awaiting cannot
 * clear the slot before it is assigned (which left every later call waiting
 * on a settled promise, and periodic saves stopped).
 */
export function singleFlight(task: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | null = null;
  return () => (running ??= task().finally(() => {
    running = null;
  }));
}
