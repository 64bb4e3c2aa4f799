/**
 * Re-basing a snapshot file's RAM: before a snapshot that others store their RAM against is deleted, each
 * such child is rewritten to store its RAM against the deleted snapshot's own parent (only the pages that
 * differ from it) or in full. The child keeps its id and file name, so its own children and a machine whose
 * RAM baseline it is stay valid; its composed RAM is the same bytes as before (checked before the write).
 * The rewrite is atomic (container.ts): a crash leaves the old file or the new one, both complete.
 */
import { dirname, relative, resolve } from 'node:path';
import { RamBlock } from '../../core/ramblock';
import { encodeContainer, SECTION_TAGS, writeFileAtomically, type Section } from '../container';
import { encodeMetadata, type SnapshotMetadata } from '../metadata';
import { applyRamRecord, changedPages, decodeRamBlock, encodeRamBlock } from '../ram-pages';
import { readSnapshot, SnapshotError, type LoadedSnapshot } from '../snapshot';

function blockOver(name: string, image: Uint8Array): RamBlock {
  const copy = new Uint8Array(image); // a buffer of exactly the image's size
  return new RamBlock(name, copy.length, copy.buffer);
}

function encodeAgainst(child: LoadedSnapshot, parent: LoadedSnapshot | null): Uint8Array[] {
  return child.file.metadata.ram.map(({ name }) => {
    const image = child.ramImages.get(name)!;
    const block = blockOver(name, image);
    if (parent === null) return encodeRamBlock(block, 'full');
    const base = parent.ramImages.get(name);
    if (base === undefined || base.length !== image.length) {
      throw new SnapshotError(`${parent.file.path}: RAM block '${name}' does not match ${child.file.path}`);
    }
    return encodeRamBlock(block, 'delta', changedPages(base, image));
  });
}

/** The new RAM records, applied over the new parent, must give the child's RAM byte for byte. */
function checkComposesTo(child: LoadedSnapshot, parent: LoadedSnapshot | null, sections: readonly Section[]): void {
  for (const section of sections.slice(2)) {
    const record = decodeRamBlock(section.payload);
    const image = new Uint8Array(parent?.ramImages.get(record.name) ?? new Uint8Array(record.size));
    applyRamRecord(record, image);
    if (changedPages(child.ramImages.get(record.name)!, image).length > 0) {
      throw new SnapshotError(`${child.file.path}: re-based RAM of block '${record.name}' differs from the original`);
    }
  }
}

/**
 * Rewrites the snapshot file `childPath` to store its RAM against `newParentPath` (null: in full). Returns
 * the metadata written.
 */
export async function rebaseSnapshotFile(childPath: string, newParentPath: string | null): Promise<SnapshotMetadata> {
  const child = await readSnapshot(childPath);
  const parent = newParentPath === null ? null : await readSnapshot(newParentPath);
  const metadata: SnapshotMetadata = {
    ...child.file.metadata,
    parent:
      parent === null
        ? null
        : { id: parent.file.metadata.id, file: relative(dirname(resolve(childPath)), resolve(newParentPath!)) },
  };
  const sections: Section[] = [
    { tag: SECTION_TAGS.meta, payload: encodeMetadata(metadata) },
    { tag: SECTION_TAGS.devices, payload: child.file.deviceStream },
    ...encodeAgainst(child, parent).map((payload) => ({ tag: SECTION_TAGS.ram, payload })),
  ];
  checkComposesTo(child, parent, sections);
  await writeFileAtomically(childPath, encodeContainer(sections));
  return metadata;
}
