import type { GatewayEvent } from './types.ts';

export type EventListener = (event: GatewayEvent) => void;

/**
 * The in-process event bus. Publishing is synchronous and never throws:
 * a failing subscriber is reported through `onError` and the others still
 * run, so that no consumer can fail a request. Subscribers that do I/O
 * must buffer and flush on their own schedule.
 */
export interface EventBus {
  publish(event: GatewayEvent): void;
  subscribe(listener: EventListener): () => void;
}

export function createEventBus(onError: (error: unknown) => void = () => {}): EventBus {
  let listeners: readonly EventListener[] = [];
  return {
    // hot path: one loop over a frozen array, no allocation
    publish(event) {
      for (const listener of listeners) {
        try {
          listener(event);
        } catch (error) {
          onError(error);
        }
      }
    },
    subscribe(listener) {
      listeners = [...listeners, listener];
      return () => {
        listeners = listeners.filter((l) => l !== listener);
      };
    },
  };
}
