/**
 * The only bridge between the sandboxed renderer and the app: one function that sends an API request.
 * The renderer builds its typed proxy on top (src-shared/api/client.ts).
 */
import { contextBridge, ipcRenderer } from 'electron';
import { API_CHANNEL } from './ipc-channel';

let nextId = 1;

contextBridge.exposeInMainWorld('orreryBridge', {
  request: (method: string, params: unknown[]) => ipcRenderer.invoke(API_CHANNEL, { id: nextId++, method, params }),
});
