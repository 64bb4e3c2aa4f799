/**
 * The only bridge between the sandboxed renderer and the app: `request` sends an API request, `on` listens
 * to one API event. The renderer builds its typed proxy and validates every event (src-shared/api/client.ts).
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { API_CHANNEL, EVENT_CHANNEL } from './ipc-channel';

let nextId = 1;

contextBridge.exposeInMainWorld('orreryBridge', {
  request: (method: string, params: unknown[]) => ipcRenderer.invoke(API_CHANNEL, { id: nextId++, method, params }),
  on: (event: string, callback: (message: unknown) => void) => {
    const listener = (_ipc: IpcRendererEvent, message: unknown): void => {
      if (typeof message === 'object' && message !== null && (message as { event?: unknown }).event === event) {
        callback(message);
      }
    };
    ipcRenderer.on(EVENT_CHANNEL, listener);
    return () => {
      ipcRenderer.off(EVENT_CHANNEL, listener);
    };
  },
});
