/**
 * Builds the typed API proxy over any transport that can send one request and await its response, and the
 * event hub that delivers validated events from any transport.
 */
import type { ApiEvent, ApiEventPayload, ApiMethod, ApiResponse, OrreryApi } from './contract';
import { apiMethods, parseEventMessage } from './contract';

export type SendRequest = (method: ApiMethod, params: unknown[]) => Promise<ApiResponse>;

export class ApiError extends Error {
  constructor(
    readonly method: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function createApiProxy(send: SendRequest): OrreryApi {
  const api: Record<string, (...params: unknown[]) => Promise<unknown>> = {};
  for (const method of Object.keys(apiMethods) as ApiMethod[]) {
    api[method] = async (...params: unknown[]) => {
      const response = await send(method, params);
      if (!response.ok) throw new ApiError(method, response.error);
      return apiMethods[method].result.parse(response.result);
    };
  }
  return api as OrreryApi;
}

type Listener = (payload: never) => void;

/** The events side of the API as the UI sees it. */
export interface ApiEvents {
  /** Calls `listener` for every `event`; returns the function that stops it. */
  on<E extends ApiEvent>(event: E, listener: (payload: ApiEventPayload<E>) => void): () => void;
}

/**
 * Fans incoming event messages out to listeners. Every message is validated first: one that does not match
 * its schema is dropped and counted, never delivered.
 */
export class EventHub implements ApiEvents {
  private readonly listeners = new Map<ApiEvent, Set<Listener>>();
  rejected = 0;

  on<E extends ApiEvent>(event: E, listener: (payload: ApiEventPayload<E>) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as Listener);
    return () => set.delete(listener as Listener);
  }

  /** Validates and delivers one raw event message; false when it was rejected. */
  deliver(raw: unknown): boolean {
    const message = parseEventMessage(raw);
    if (message === null) {
      this.rejected++;
      return false;
    }
    const payload = message.payload;
    for (const listener of this.listeners.get(message.event) ?? []) {
      (listener as (payload: unknown) => void)(payload);
    }
    return true;
  }
}
