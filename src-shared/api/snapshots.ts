/**
 * Snapshots of a library VM as the app sees them: the requests the UI makes, and the tree, delete plan and
 * diff it gets back. The same request travels from the UI to main and, while the VM runs, on to its worker
 * (src-emu/worker/protocol.ts); src-emu/snapshot/store/requests.ts carries it out on the VM's store.
 */
import { z } from 'zod';

const SnapshotId = z.string().min(1).max(64);
const SnapshotName = z.string().trim().min(1, 'a name is required').max(80, 'at most 80 characters');
const Description = z.string().max(2000, 'at most 2000 characters');

export const SnapshotInfoSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  createdAt: z.string(),
  parent: z.string().nullable(),
  children: z.array(z.string()),
  /** The current state continues from this snapshot. */
  isCurrentParent: z.boolean(),
  /** False for a snapshot of a stopped VM's disks only. */
  hasMachineState: z.boolean(),
  guestTimeNs: z.number().nullable(),
  stateBytes: z.number().nonnegative(),
  diskBytes: z.number().nonnegative(),
});
export type SnapshotInfo = z.infer<typeof SnapshotInfoSchema>;

export const SnapshotListingSchema = z.object({
  snapshots: z.array(SnapshotInfoSchema),
  current: z.object({
    parent: z.string().nullable(),
    /** A snapshot the next start resumes (a machine-state snapshot restored while the VM was stopped). */
    resume: z.string().nullable(),
    diskBytes: z.number().nonnegative(),
  }),
  totalBytes: z.number().nonnegative(),
  /** The VM's disks by name. */
  disks: z.array(z.string()),
});
export type SnapshotListing = z.infer<typeof SnapshotListingSchema>;

/** What deleting a snapshot does, worked out beforehand (the app shows `text` before asking). */
export const DeleteExplanationSchema = z.object({
  snapshot: z.string(),
  text: z.string(),
  /** Overlays kept because several branches build on them. */
  kept: z.number().int().nonnegative(),
  /** Snapshots whose memory is rewritten against another parent. */
  rebased: z.number().int().nonnegative(),
});
export type DeleteExplanation = z.infer<typeof DeleteExplanationSchema>;

/** A run of consecutive numbers (pages, clusters), inclusive. */
const RunSchema = z.tuple([z.number().int(), z.number().int()]);

/** Most runs one diff lists per RAM block or disk; the counts stay exact. */
export const MAX_DIFF_RUNS = 256;

export const SnapshotDiffSchema = z.object({
  a: z.string(),
  b: z.string(),
  /** Guest virtual time of each side, null for a disk-only snapshot. */
  guestTimeNs: z.tuple([z.number().nullable(), z.number().nullable()]),
  /** Machine configuration keys that differ (device fields are compared only when the layout is the same). */
  config: z.array(z.string()),
  /** Device fields that differ, by VMState section and field path. */
  devices: z.array(z.object({ section: z.string(), instanceId: z.number().int(), fields: z.array(z.string()) })),
  /** RAM pages (4 KiB) that differ, per RAM block; empty when either side has no machine state. */
  ram: z.array(z.object({ block: z.string(), pages: z.number().int(), runs: z.array(RunSchema) })),
  /** Disk clusters that differ, per disk. */
  disks: z.array(
    z.object({ disk: z.string(), clusterSize: z.number().int(), clusters: z.number().int(), runs: z.array(RunSchema) }),
  ),
});
export type SnapshotDiff = z.infer<typeof SnapshotDiffSchema>;

/** One snapshot operation on a VM. */
export const SnapshotRequestSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('list') }),
  /** A running VM is paused for the save (machine state and disks); a stopped VM's disks are snapshotted alone. */
  z.object({ op: z.literal('take'), name: SnapshotName, description: Description.optional() }),
  /**
   * A running VM continues from the snapshot at once; a stopped VM's disks branch from it and, when it holds
   * machine state, the next start resumes it.
   */
  z.object({ op: z.literal('restore'), snapshot: SnapshotId }),
  z.object({ op: z.literal('explain-delete'), snapshot: SnapshotId }),
  z.object({ op: z.literal('delete'), snapshot: SnapshotId }),
  z.object({ op: z.literal('rename'), snapshot: SnapshotId, name: SnapshotName, description: Description.optional() }),
  z.object({ op: z.literal('diff'), a: SnapshotId, b: SnapshotId }),
]);
/** A request as validated where it enters (the API's dispatch, the worker's protocol). */
export type SnapshotRequest = z.infer<typeof SnapshotRequestSchema>;

export const SnapshotResultSchema = z.discriminatedUnion('kind', [
  /** list, take, restore, rename and delete answer with the tree as it is afterwards. */
  z.object({
    kind: z.literal('listing'),
    listing: SnapshotListingSchema,
    explanation: DeleteExplanationSchema.optional(),
  }),
  z.object({ kind: z.literal('delete-plan'), explanation: DeleteExplanationSchema }),
  z.object({ kind: z.literal('diff'), diff: SnapshotDiffSchema }),
]);
export type SnapshotResult = z.infer<typeof SnapshotResultSchema>;

/** Where a long snapshot operation is; sent while a take or restore runs. */
export const SnapshotProgressSchema = z.object({
  op: z.enum(['take', 'restore']),
  phase: z.enum(['pausing', 'saving', 'loading', 'done', 'failed']),
  /** 0..1 where the phase can say, else omitted. */
  fraction: z.number().min(0).max(1).optional(),
});
export type SnapshotProgress = z.infer<typeof SnapshotProgressSchema>;

/** Consecutive numbers as inclusive runs, at most `max` of them (the caller keeps the exact count). */
export function toRuns(numbers: readonly number[], max = MAX_DIFF_RUNS): [number, number][] {
  const runs: [number, number][] = [];
  for (let i = 0; i < numbers.length && runs.length < max;) {
    let j = i;
    while (j + 1 < numbers.length && numbers[j + 1] === numbers[j]! + 1) j++;
    runs.push([numbers[i]!, numbers[j]!]);
    i = j + 1;
  }
  return runs;
}
