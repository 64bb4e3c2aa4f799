/**
 * What deleting a snapshot does, worked out before anything changes: the same clean-up steps the store
 * then performs (overlay-graph.ts), described for a person. The app shows `text` in its confirmation.
 */
import { nextCompactStep, type CompactStep, type DiskGraph, type OverlayNode } from './overlay-graph';
import type { Tree, TreeSnapshot } from './tree';

export interface DiskDeleteStep {
  readonly disk: string;
  readonly step: CompactStep;
}

export interface DeletePlan {
  readonly snapshot: TreeSnapshot;
  /** Overlay clean-up, per disk, in the order it runs. */
  readonly diskSteps: readonly DiskDeleteStep[];
  /** Overlays of the deleted snapshot kept because several branches still build on them. */
  readonly kept: readonly { readonly disk: string; readonly file: string; readonly branches: number }[];
  /** Snapshots whose RAM is stored against the deleted one: rewritten against `to` (null: in full). */
  readonly ramRebased: readonly { readonly id: string; readonly to: string | null }[];
  /** The explanation shown before deleting. */
  readonly text: string;
}

export interface DeletePlanInputs {
  readonly tree: Tree;
  readonly snapshot: TreeSnapshot;
  readonly graphs: ReadonlyMap<string, DiskGraph>;
  /** Bytes each overlay file occupies, by disk and file. */
  readonly overlayBytes: (disk: string, file: string) => number;
  readonly stateBytes: number;
  /** Snapshots whose RAM parent is the one deleted, and the RAM parent they will get. */
  readonly ramChildren: readonly { readonly id: string; readonly to: string | null }[];
}

/** Who uses an overlay, in words. */
function ownerOf(tree: Tree, disk: string, file: string): string {
  if (tree.current.disks[disk] === file) return 'the current state';
  const snapshot = tree.snapshots.find((s) => s.disks[disk] === file);
  return snapshot !== undefined ? `snapshot “${snapshot.name}”` : 'an overlay kept for other branches';
}

/** The clean-up steps once `referenced` no longer holds the deleted overlay, applied to a copy of the graph. */
function simulate(graph: DiskGraph, referenced: ReadonlySet<string>): CompactStep[] {
  const nodes = new Map<string, OverlayNode>(graph.nodes);
  const steps: CompactStep[] = [];
  for (let step = nextCompactStep(graph, referenced); step !== null;) {
    steps.push(step);
    if (step.kind === 'delete') nodes.delete(step.file);
    else {
      const parent = nodes.get(step.parent)!;
      nodes.set(step.child, { ...nodes.get(step.child)!, parent: parent.parent });
      nodes.delete(step.parent);
    }
    step = nextCompactStep({ ...graph, nodes }, referenced);
  }
  return steps;
}

/** A size as people read it: KiB below 1 MiB (a small state file must not read as 0.0 MiB). */
const size = (bytes: number): string =>
  bytes < 1024 * 1024 ? `${Math.ceil(bytes / 1024)} KiB` : `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;

export function referencedOverlays(tree: Tree, disk: string, without: string | null): Set<string> {
  const files = tree.snapshots.filter((s) => s.id !== without).map((s) => s.disks[disk]!);
  return new Set([...files, tree.current.disks[disk]!]);
}

export function planDelete(inputs: DeletePlanInputs): DeletePlan {
  const { tree, snapshot, graphs } = inputs;
  const diskSteps: DiskDeleteStep[] = [];
  const kept: { disk: string; file: string; branches: number }[] = [];
  const lines = [`Deleting snapshot “${snapshot.name}” loses no data that another snapshot or the current state uses.`];
  if (snapshot.stateFile !== null) lines.push(`Its machine state file (${size(inputs.stateBytes)}) is removed.`);
  for (const [disk, graph] of graphs) {
    const file = snapshot.disks[disk]!;
    const steps = simulate(graph, referencedOverlays(tree, disk, snapshot.id));
    diskSteps.push(...steps.map((step) => ({ disk, step })));
    const overlaySize = size(inputs.overlayBytes(disk, file));
    const own = steps.find((s) => (s.kind === 'delete' ? s.file : s.parent) === file);
    if (own === undefined) {
      const branches = [...graph.nodes.values()].filter((n) => n.parent === file).length;
      kept.push({ disk, file, branches });
      lines.push(`Disk ${disk}: its overlay (${overlaySize}) is kept: ${branches} branches build on it.`);
    } else if (own.kind === 'delete') {
      lines.push(`Disk ${disk}: its overlay (${overlaySize}) is removed: nothing builds on it any more.`);
    } else {
      lines.push(`Disk ${disk}: its changes (${overlaySize}) are merged into ${ownerOf(tree, disk, own.child)}.`);
    }
    const others = steps.filter((s) => s !== own).length;
    if (others > 0) lines.push(`Disk ${disk}: ${others} older overlay(s) no longer shared by branches are merged too.`);
  }
  const name = (id: string | null) =>
    id === null ? 'in full' : `against “${tree.snapshots.find((s) => s.id === id)?.name ?? id}”`;
  for (const child of inputs.ramChildren) {
    const childName = tree.snapshots.find((s) => s.id === child.id)?.name ?? child.id;
    lines.push(`Snapshot “${childName}” stored its memory against this one: it is rewritten ${name(child.to)}.`);
  }
  if (tree.current.resume === snapshot.id) {
    lines.push('The next start was to resume this snapshot: it will boot afresh on the disks instead.');
  }
  return { snapshot, diskSteps, kept, ramRebased: inputs.ramChildren, text: lines.join('\n') };
}
