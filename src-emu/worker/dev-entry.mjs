// Runs the VM worker straight from the TypeScript sources (tests and development); built apps use the
// bundled worker instead (electron.vite.config.ts).
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
