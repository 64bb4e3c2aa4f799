/**
 * The renderer's one way to reach the app: the typed API and its events, over Electron IPC when the preload
 * is there, otherwise over the browser-mode WebSocket (token taken from the URL once, then kept for reloads).
 * Events from either transport are validated by the EventHub before any listener sees them.
 */
import type { ApiMethod, ApiResponse, OrreryApi } from '../../src-shared/api/contract';
import { createApiProxy, EventHub, type ApiEvents, type SendRequest } from '../../src-shared/api/client';
import { apiEvents } from '../../src-shared/api/contract';

const TOKEN_KEY = 'orrery.token';

function ipcTransport(bridge: OrreryBridge, hub: EventHub): SendRequest {
  for (const event of Object.keys(apiEvents)) bridge.on(event, (message) => hub.deliver(message));
  return async (method, params) => (await bridge.request(method, params)) as ApiResponse;
}

function takeToken(): string {
  const url = new URL(window.location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    url.searchParams.delete('token');
    window.history.replaceState(null, '', url.toString());
    return fromUrl;
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

function webSocketTransport(hub: EventHub): SendRequest {
  const token = takeToken();
  let socket: Promise<WebSocket> | null = null;
  let nextId = 1;
  const pending = new Map<number, (response: ApiResponse) => void>();

  const onMessage = (event: MessageEvent): void => {
    let message: unknown;
    try {
      message = JSON.parse(String(event.data));
    } catch {
      return;
    }
    if (typeof message === 'object' && message !== null && 'event' in message) {
      hub.deliver(message);
      return;
    }
    const response = message as ApiResponse;
    pending.get(response.id)?.(response);
    pending.delete(response.id);
  };

  const connect = (): Promise<WebSocket> =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://${window.location.host}/api?token=${encodeURIComponent(token)}`);
      ws.onopen = () => resolve(ws);
      ws.onerror = () => reject(new Error('cannot reach Orrery: is the server still running?'));
      ws.onclose = () => {
        socket = null;
        for (const [id, settle] of pending) settle({ id, ok: false, error: 'connection to Orrery closed' });
        pending.clear();
      };
      ws.onmessage = onMessage;
    });

  return async (method: ApiMethod, params: unknown[]) => {
    socket ??= connect().catch((error: unknown) => {
      socket = null;
      throw error;
    });
    const ws = await socket;
    const id = nextId++;
    return new Promise<ApiResponse>((resolve) => {
      pending.set(id, resolve);
      ws.send(JSON.stringify({ id, method, params }));
    });
  };
}

const hub = new EventHub();

export const api: OrreryApi = createApiProxy(
  window.orreryBridge ? ipcTransport(window.orreryBridge, hub) : webSocketTransport(hub),
);

/** App events (VM state changes, console output), validated. */
export const events: ApiEvents = hub;
