/** Where the VM library lives: the platform's app-data folder, or ORRERY_HOME when set (tests use a temp dir). */
import { homedir } from 'node:os';
import { join } from 'node:path';

export function defaultStorePath(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  if (env.ORRERY_HOME) return env.ORRERY_HOME;
  const home = homedir();
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'Orrery');
  if (platform === 'win32') return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'Orrery');
  return join(env.XDG_DATA_HOME ?? join(home, '.local', 'share'), 'orrery');
}
