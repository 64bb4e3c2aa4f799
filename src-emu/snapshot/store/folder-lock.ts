/**
 * One writer per VM folder: the app and the command line may both open a VM's snapshots, never at once.
 * The lock is a file created complete in one step (a hard link), holding the owner's process id; a lock left by a process that no
 * longer exists (killed) is taken over.
 */
import { link, readFile, unlink, writeFile } from 'node:fs/promises';

export class FolderLockedError extends Error {
  override name = 'FolderLockedError';
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Creates `path` with its content in one step (a hard link of a finished file), failing if it exists. */
async function createWithContent(path: string, content: string): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, content);
  try {
    await link(temporary, path);
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
}

export interface FolderLock {
  release(): Promise<void>;
}

/** Takes the lock file at `path`; `what` names the folder in the error. */
export async function lockFolder(path: string, what: string): Promise<FolderLock> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await createWithContent(path, `${process.pid}\n`);
      let released = false;
      return {
        release: async () => {
          if (released) return;
          released = true;
          await unlink(path).catch(() => undefined);
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = Number((await readFile(path, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && processExists(owner)) {
      throw new FolderLockedError(`${what} is in use by process ${owner}`);
    }
    if (owner === process.pid) throw new FolderLockedError(`${what} is already open in this process`);
    await unlink(path).catch(() => undefined); // left by a process that died
  }
  throw new FolderLockedError(`${what}: could not take the lock ${path}`);
}

/**
 * Removes a lock this process holds for a thread that is gone (a VM worker that crashed or was ended while
 * its store was open): the process still runs, so the lock would otherwise never be taken over.
 */
export async function clearOwnLock(path: string): Promise<void> {
  const owner = Number((await readFile(path, 'utf8').catch(() => '')).trim());
  if (owner === process.pid) await unlink(path).catch(() => undefined);
}
