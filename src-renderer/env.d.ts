/// <reference types="vite/client" />

declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent<object, object, unknown>;
  export default component;
}

interface OrreryBridge {
  request(method: string, params: unknown[]): Promise<unknown>;
}

interface Window {
  /** Present only in the Electron window (exposed by the preload). */
  orreryBridge?: OrreryBridge;
}
