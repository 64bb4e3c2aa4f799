/**
 * Carries out one snapshot request of the app (src-shared/api/snapshots.ts, validated where it entered) on a
 * VM's store: in the VM's worker while its machine exists, in the main process while the VM is stopped.
 * Answers are plain data that the API's schemas accept.
 */
import type {
  DeleteExplanation,
  SnapshotDiff,
  SnapshotProgress,
  SnapshotRequest,
  SnapshotResult,
} from '../../../src-shared/api/snapshots';
import { toRuns } from '../../../src-shared/api/snapshots';
import type { VirtMachine } from '../../machine/virt';
import type { SnapshotDiff as MachineDiff } from '../diff';
import type { MachineConfigRecord } from '../metadata';
import type { DeletePlan } from './delete-plan';
import { StoreError, type SnapshotStore } from './store';

/** The machine a running VM's snapshots capture and restore. */
export interface LiveMachine {
  readonly machine: VirtMachine;
  readonly config: MachineConfigRecord;
  /**
   * Stops the machine between instructions with virtual time frozen (a no-op if it is paused already);
   * resolves with the function that lets it continue as it was.
   */
  hold(): Promise<() => void>;
}

export type ProgressSink = (progress: SnapshotProgress) => void;

export async function carryOut(
  store: SnapshotStore,
  request: SnapshotRequest,
  live: LiveMachine | null,
  progress: ProgressSink = () => undefined,
): Promise<SnapshotResult> {
  switch (request.op) {
    case 'list':
      return listing(store);
    case 'take':
      await withProgress('take', progress, live, async () => {
        const options = {
          name: request.name,
          ...(request.description !== undefined ? { description: request.description } : {}),
        };
        await store.take(live === null ? options : { ...options, machine: live });
      });
      return listing(store);
    case 'restore': {
      const id = request.snapshot;
      if (live !== null && store.statePath(id) === null) {
        throw new StoreError(
          `snapshot “${nameOf(store, id)}” holds only disks: power off the VM to restore it ` +
            '(changing disks under a running guest would corrupt its file systems)',
        );
      }
      await withProgress('restore', progress, live, () => store.restore(id, live?.machine));
      return listing(store);
    }
    case 'explain-delete':
      return { kind: 'delete-plan', explanation: explanation(await store.explainDelete(request.snapshot)) };
    case 'delete': {
      const plan = await whileHeld(live, () => store.delete(request.snapshot));
      return { ...(await listing(store)), explanation: explanation(plan) };
    }
    case 'rename':
      await store.rename(request.snapshot, request.name, request.description);
      return listing(store);
    case 'diff':
      return { kind: 'diff', diff: await diff(store, request.a, request.b) };
  }
}

async function listing(store: SnapshotStore): Promise<Extract<SnapshotResult, { kind: 'listing' }>> {
  const list = await store.list();
  return {
    kind: 'listing',
    listing: {
      snapshots: list.snapshots.map((s) => ({ ...s, children: [...s.children] })),
      current: list.current,
      totalBytes: list.totalBytes,
      disks: store.diskNames,
    },
  };
}

/** Runs `work` with the machine held, reporting the phases of a take or restore. */
async function withProgress(
  op: SnapshotProgress['op'],
  progress: ProgressSink,
  live: LiveMachine | null,
  work: () => Promise<unknown>,
): Promise<void> {
  try {
    if (live !== null) progress({ op, phase: 'pausing' });
    await whileHeld(live, () => {
      progress({ op, phase: op === 'take' ? 'saving' : 'loading' });
      return work();
    });
    progress({ op, phase: 'done', fraction: 1 });
  } catch (error) {
    progress({ op, phase: 'failed' });
    throw error;
  }
}

async function whileHeld<T>(live: LiveMachine | null, work: () => Promise<T>): Promise<T> {
  const release = live === null ? null : await live.hold();
  try {
    return await work();
  } finally {
    release?.();
  }
}

function nameOf(store: SnapshotStore, id: string): string {
  return store.snapshots.find((s) => s.id === id)?.name ?? id;
}

function explanation(plan: DeletePlan): DeleteExplanation {
  return { snapshot: plan.snapshot.id, text: plan.text, kept: plan.kept.length, rebased: plan.ramRebased.length };
}

async function diff(store: SnapshotStore, a: string, b: string): Promise<SnapshotDiff> {
  const withState = store.statePath(a) !== null && store.statePath(b) !== null;
  const machine: MachineDiff | null = withState ? await store.diff(a, b) : null;
  const disks = machine?.disks ?? (await store.diffDisks(a, b));
  const time = (id: string) => store.snapshots.find((s) => s.id === id)?.guestTimeNs ?? null;
  return {
    a,
    b,
    guestTimeNs: [time(a), time(b)],
    config: [...(machine?.config ?? [])],
    devices: (machine?.sections ?? []).map((s) => ({ ...s, fields: [...s.fields] })),
    ram: (machine?.ram ?? []).map((r) => ({ block: r.block, pages: r.pages.length, runs: toRuns(r.pages) })),
    disks: disks.map((d) => ({
      disk: d.disk,
      clusterSize: d.clusterSize,
      clusters: d.clusters.length,
      runs: toRuns(d.clusters),
    })),
  };
}
