import { defineStore } from 'pinia';
import { ref } from 'vue';
import type {
  DeleteExplanation,
  SnapshotDiff,
  SnapshotListing,
  SnapshotProgress,
} from '../../src-shared/api/snapshots';
import { api, events } from '../api/client';
import { messageOf } from '../api/format';
import { useLibraryStore } from './useLibraryStore';

/** The snapshot operation a VM is busy with (its buttons stay disabled meanwhile). */
export type SnapshotOp = 'take' | 'restore' | 'rename' | 'delete';

/** A snapshot's name and description, as the take and rename forms give them. */
export interface SnapshotLabel {
  name: string;
  description: string;
}

/** How long a finished operation's last progress stays on screen. */
const PROGRESS_LINGER_MS = 1500;

/**
 * Each shown VM's snapshot tree, kept current: refreshed after every operation and when the VM's power state
 * changes (a start consumes a pending resume), with the progress events of takes and restores from any client.
 * Operations throw with the app's message; the view shows it where the action was made.
 */
export const useSnapshotStore = defineStore('snapshots', () => {
  /** VM id -> its snapshot tree as last reported. */
  const listings = ref<Record<string, SnapshotListing>>({});
  /** VM id -> why its tree could not be read. */
  const loadErrors = ref<Record<string, string>>({});
  /** VM id -> the progress of a take or restore under way (from any client). */
  const progress = ref<Record<string, SnapshotProgress>>({});
  /** VM id -> the operation this client is running on it. */
  const busy = ref<Record<string, SnapshotOp>>({});
  const library = useLibraryStore();

  // Answers can arrive out of order (a refresh overtaken by an operation): only the newest request's tree counts.
  const issued = new Map<string, number>();
  const applied = new Map<string, number>();
  const lingerTimers = new Map<string, ReturnType<typeof setTimeout>>();

  events.on('snapshot.progress', ({ id, progress: update }) => {
    progress.value = { ...progress.value, [id]: update };
    clearTimeout(lingerTimers.get(id));
    if (update.phase === 'done' || update.phase === 'failed') {
      lingerTimers.set(
        id,
        setTimeout(() => clearProgress(id), PROGRESS_LINGER_MS),
      );
    }
  });
  events.on('vm.state', ({ id }) => {
    if (Object.hasOwn(listings.value, id) || Object.hasOwn(loadErrors.value, id)) void refresh(id);
  });

  function clearProgress(id: string): void {
    const { [id]: _done, ...rest } = progress.value;
    progress.value = rest;
  }

  async function track(id: string, request: Promise<SnapshotListing>): Promise<SnapshotListing> {
    const ticket = (issued.get(id) ?? 0) + 1;
    issued.set(id, ticket);
    const listing = await request;
    if (ticket >= (applied.get(id) ?? 0)) {
      applied.set(id, ticket);
      listings.value = { ...listings.value, [id]: listing };
      const resume = listing.current.resume;
      library.setResumes(
        id,
        resume === null ? undefined : (listing.snapshots.find((s) => s.id === resume)?.name ?? resume),
      );
      const { [id]: _cleared, ...rest } = loadErrors.value;
      loadErrors.value = rest;
    }
    return listing;
  }

  /** Reads the VM's tree again; a failure is kept in `loadErrors` rather than thrown. */
  async function refresh(id: string): Promise<void> {
    try {
      await track(id, api['snapshots.list'](id));
    } catch (e) {
      loadErrors.value = { ...loadErrors.value, [id]: messageOf(e) };
    }
  }

  async function run(id: string, op: SnapshotOp, call: () => Promise<SnapshotListing>): Promise<SnapshotListing> {
    busy.value = { ...busy.value, [id]: op };
    try {
      return await track(id, call());
    } catch (e) {
      // The tree may have changed under the failed operation (another window, a half-done restore).
      void refresh(id);
      throw e;
    } finally {
      const { [id]: _done, ...rest } = busy.value;
      busy.value = rest;
    }
  }

  function take(id: string, label: SnapshotLabel): Promise<SnapshotListing> {
    return run(id, 'take', () => api['snapshots.take'](id, label));
  }

  /** Restores `snapshotId`, first saving the current state as `safety` when it is given. */
  function restore(id: string, snapshotId: string, safety: SnapshotLabel | null): Promise<SnapshotListing> {
    return run(id, 'restore', async () => {
      if (safety !== null) await track(id, api['snapshots.take'](id, safety));
      return api['snapshots.restore'](id, snapshotId);
    });
  }

  function rename(id: string, snapshotId: string, label: SnapshotLabel): Promise<SnapshotListing> {
    return run(id, 'rename', () => api['snapshots.rename'](id, snapshotId, label));
  }

  function remove(id: string, snapshotId: string): Promise<SnapshotListing> {
    return run(id, 'delete', () => api['snapshots.delete'](id, snapshotId));
  }

  function explainDelete(id: string, snapshotId: string): Promise<DeleteExplanation> {
    return api['snapshots.explainDelete'](id, snapshotId);
  }

  function diff(id: string, a: string, b: string): Promise<SnapshotDiff> {
    return api['snapshots.diff'](id, a, b);
  }

  return { listings, loadErrors, progress, busy, refresh, take, restore, rename, remove, explainDelete, diff };
});
