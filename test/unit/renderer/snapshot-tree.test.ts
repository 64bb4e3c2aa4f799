/**
 * The Snapshots view's tree: siblings oldest first, the current state as the last child of the snapshot it
 * continues from, and a snapshot whose parent is not listed shown as a root rather than hidden.
 */
import { describe, expect, it } from 'vitest';
import type { SnapshotInfo, SnapshotListing } from '../../../src-shared/api/snapshots';
import {
  defaultSnapshotName,
  describeRuns,
  snapshotTree,
  type SnapshotTreeEntry,
} from '../../../src-renderer/composables/snapshotTree';

function snap(id: string, parent: string | null, minute: number, name = id): SnapshotInfo {
  return {
    id,
    name,
    description: '',
    createdAt: `2026-11-24T10:${String(minute).padStart(2, '0')}:00.000Z`,
    parent,
    children: [],
    isCurrentParent: false,
    hasMachineState: true,
    guestTimeNs: minute * 1e9,
    stateBytes: 1,
    diskBytes: 0,
  };
}

function listing(snapshots: SnapshotInfo[], currentParent: string | null): SnapshotListing {
  return { snapshots, current: { parent: currentParent, resume: null, diskBytes: 0 }, totalBytes: 0, disks: [] };
}

/** The tree as text: one line per entry, indented by depth. */
function outline(entries: SnapshotTreeEntry[], depth = 0): string[] {
  return entries.flatMap((entry) =>
    entry.kind === 'current'
      ? [`${'  '.repeat(depth)}(here)`]
      : [`${'  '.repeat(depth)}${entry.snapshot.id}`, ...outline(entry.children, depth + 1)],
  );
}

describe('snapshotTree', () => {
  it('nests branches oldest first and puts the current state last under its parent', () => {
    // Listed out of order: b and c both branch from a; the current state continues from a as well.
    const tree = snapshotTree(listing([snap('c', 'a', 3), snap('a', null, 1), snap('b', 'a', 2)], 'a'));
    expect(outline(tree)).toEqual(['a', '  b', '  c', '  (here)']);
  });

  it('places the current state at the root when it continues from no snapshot', () => {
    expect(outline(snapshotTree(listing([], null)))).toEqual(['(here)']);
    expect(outline(snapshotTree(listing([snap('a', null, 1)], null)))).toEqual(['a', '(here)']);
  });

  it('shows a snapshot whose parent is not in the listing as a root', () => {
    const tree = snapshotTree(listing([snap('orphan', 'gone', 1), snap('a', null, 0)], 'orphan'));
    expect(outline(tree)).toEqual(['a', 'orphan', '  (here)']);
  });
});

describe('names and runs', () => {
  it('offers the next free "Snapshot N"', () => {
    expect(defaultSnapshotName([])).toBe('Snapshot 1');
    expect(defaultSnapshotName([snap('x', null, 0, 'Snapshot 2')])).toBe('Snapshot 3');
  });

  it('writes runs compactly and says how many more there are', () => {
    expect(
      describeRuns(
        [
          [0, 3],
          [7, 7],
        ],
        8,
      ),
    ).toBe('0–3, 7');
    expect(
      describeRuns(
        [
          [0, 0],
          [2, 2],
          [4, 5],
        ],
        1,
      ),
    ).toBe('0 and 2 more runs');
  });
});
