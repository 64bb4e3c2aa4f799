import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import vue from '@vitejs/plugin-vue';

export default defineConfig({
  main: {
    build: {
      rollupOptions: {
        input: {
          index: resolve('src-main/electron/main.ts'),
          browser: resolve('src-main/browser/main.ts'),
          // One VM per worker thread (src-main/vm/vm-host.ts loads it from next to the main bundle).
          'vm-worker': resolve('src-emu/worker/main.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      rollupOptions: {
        input: { index: resolve('src-main/electron/preload.ts') },
        // A sandboxed preload must be CommonJS.
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve('src-renderer'),
    build: {
      rollupOptions: { input: resolve('src-renderer/index.html') },
    },
    plugins: [vue()],
  },
});
