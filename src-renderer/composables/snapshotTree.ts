/**
 * The snapshot listing shaped for the Snapshots view: the tree with the current state placed under the
 * snapshot it continues from ("You are here"), default names, and the wording of sizes, times and runs.
 */
import type { SnapshotInfo, SnapshotListing } from '../../src-shared/api/snapshots';

export type SnapshotTreeEntry =
  | { readonly kind: 'snapshot'; readonly snapshot: SnapshotInfo; readonly children: SnapshotTreeEntry[] }
  | { readonly kind: 'current' };

const byCreation = (a: SnapshotInfo, b: SnapshotInfo): number =>
  a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id);

/** Roots and children oldest first (newest last among siblings); the current state is the last child of its parent. */
export function snapshotTree(listing: SnapshotListing): SnapshotTreeEntry[] {
  const known = new Set(listing.snapshots.map((s) => s.id));
  const childrenOf = new Map<string | null, SnapshotInfo[]>();
  for (const snapshot of [...listing.snapshots].sort(byCreation)) {
    // A parent the listing does not hold would hide the branch: show it as a root instead.
    const parent = snapshot.parent !== null && known.has(snapshot.parent) ? snapshot.parent : null;
    childrenOf.set(parent, [...(childrenOf.get(parent) ?? []), snapshot]);
  }
  const currentParent =
    listing.current.parent !== null && known.has(listing.current.parent) ? listing.current.parent : null;
  const build = (parent: string | null): SnapshotTreeEntry[] => {
    const entries: SnapshotTreeEntry[] = (childrenOf.get(parent) ?? []).map((snapshot) => ({
      kind: 'snapshot',
      snapshot,
      children: build(snapshot.id),
    }));
    if (parent === currentParent) entries.push({ kind: 'current' });
    return entries;
  };
  return build(null);
}

/** "Snapshot N", N one more than the snapshots there are, skipping names in use. */
export function defaultSnapshotName(snapshots: readonly SnapshotInfo[]): string {
  const used = new Set(snapshots.map((s) => s.name));
  let n = snapshots.length + 1;
  while (used.has(`Snapshot ${n}`)) n++;
  return `Snapshot ${n}`;
}

/** 1536 -> "1.5 KiB". */
export function byteSize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

/** Guest virtual time: "12.34 s". */
export function guestTime(ns: number): string {
  return `${(ns / 1e9).toFixed(2)} s`;
}

/** An ISO time in the user's locale. */
export function createdAt(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

/** Inclusive runs as "0–3, 7, 10–12", at most `max` of them, then how many more there are. */
export function describeRuns(runs: readonly (readonly [number, number])[], max = 8): string {
  const shown = runs.slice(0, max).map(([start, end]) => (start === end ? `${start}` : `${start}–${end}`));
  const more = runs.length - shown.length;
  return more > 0 ? `${shown.join(', ')} and ${more} more run${more > 1 ? 's' : ''}` : shown.join(', ');
}

/** "1 page" / "3 pages". */
export function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}
