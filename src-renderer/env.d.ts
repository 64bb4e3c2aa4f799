/// <reference types="vite/client" />

declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent<object, object, unknown>;
  export default component;
}

interface OrreryBridge {
  request(method: string, params: unknown[]): Promise<unknown>;
  /** Calls `callback` with every message of one event; returns the function that stops it. */
  on(event: string, callback: (message: unknown) => void): () => void;
}

interface Window {
  /** Present only in the Electron window (exposed by the preload). */
  orreryBridge?: OrreryBridge;
}
