/**
 * What differs between two snapshots: device fields (by VMState section and field path, diffStates), RAM
 * pages, machine configuration, and (through a pluggable differ) disk clusters. As data and as text.
 */
import { decodeMachine, describeDecoded, diffStates, type DecodedSection, type FieldView } from '../core/vmstate';
import type { VirtMachine } from '../machine/virt';
import { layoutMachine } from './machine-config';
import { machineSections } from './machine-state';
import { toRuns } from '../../src-shared/api/snapshots';
import type { SnapshotMetadata } from './metadata';
import { changedPages } from './ram-pages';
import { readSnapshot, SnapshotError, type LoadedSnapshot } from './snapshot';

export interface SectionDiff {
  readonly section: string;
  readonly instanceId: number;
  /** Field paths such as 'regs.x0', 'timers[1].expiry', 'pl011/tx-fifo.regs.txCount'; ['(section)'] when only one side has it. */
  readonly fields: readonly string[];
}

export interface RamDiff {
  readonly block: string;
  /** Page numbers (4 KiB) whose contents differ. */
  readonly pages: readonly number[];
}

/** Disk clusters that differ; filled by a DiskDiffer once disks are part of snapshots. */
export interface DiskDiff {
  readonly disk: string;
  readonly clusterSize: number;
  readonly clusters: readonly number[];
}

/** The extension point for disks: compares the frozen overlays two snapshots name (metadata.disks). */
export type DiskDiffer = (a: SnapshotMetadata, b: SnapshotMetadata) => Promise<DiskDiff[]>;

export interface SnapshotDiff {
  readonly a: string;
  readonly b: string;
  readonly guestTimeNs: readonly [number, number];
  /** Top-level machine configuration keys that differ (device state is compared only when none do). */
  readonly config: readonly string[];
  readonly sections: readonly SectionDiff[];
  readonly ram: readonly RamDiff[];
  readonly disks: readonly DiskDiff[];
}

export interface SectionView {
  readonly section: string;
  readonly instanceId: number;
  readonly version: number;
  readonly fields: readonly FieldView[];
}

/** The device sections of a loaded snapshot as field views (decoded against a machine of its layout). */
export function sectionViews(
  loaded: LoadedSnapshot,
  layout: VirtMachine = layoutMachine(loaded.file.metadata.machine, loaded.file.metadata.disks),
): SectionView[] {
  let sections: DecodedSection[];
  try {
    sections = decodeMachine(loaded.file.deviceStream, machineSections(layout));
  } catch (error) {
    throw new SnapshotError(`${loaded.file.path}: the device state does not decode: ${(error as Error).message}`);
  }
  return sections.map((s) => ({
    section: s.entry.name,
    instanceId: s.entry.instanceId,
    version: s.version,
    fields: describeDecoded(s.entry.desc, s.values),
  }));
}

function configDifferences(a: SnapshotMetadata, b: SnapshotMetadata): string[] {
  const left = a.machine as unknown as Record<string, unknown>;
  const right = b.machine as unknown as Record<string, unknown>;
  return Object.keys(left).filter((key) => JSON.stringify(left[key]) !== JSON.stringify(right[key]));
}

const sameLayout = (keys: readonly string[]): boolean =>
  !keys.some(
    (key) => key === 'memoryMiB' || key === 'cpus' || key === 'clockMode' || key === 'board' || key === 'disks',
  );

/** Field-level differences between two lists of section views. */
export function diffSectionViews(a: readonly SectionView[], b: readonly SectionView[]): SectionDiff[] {
  const key = (v: SectionView) => `${v.section}#${v.instanceId}`;
  const right = new Map(b.map((v) => [key(v), v]));
  const out: SectionDiff[] = [];
  for (const left of a) {
    const other = right.get(key(left));
    right.delete(key(left));
    const fields = other === undefined ? ['(section)'] : diffStates(left.fields, other.fields);
    if (fields.length > 0) out.push({ section: left.section, instanceId: left.instanceId, fields });
  }
  for (const only of right.values())
    out.push({ section: only.section, instanceId: only.instanceId, fields: ['(section)'] });
  return out;
}

export async function diffSnapshots(pathA: string, pathB: string, diskDiffer?: DiskDiffer): Promise<SnapshotDiff> {
  const a = await readSnapshot(pathA);
  const b = await readSnapshot(pathB);
  const config = configDifferences(a.file.metadata, b.file.metadata);
  if (a.file.metadata.disks.length !== b.file.metadata.disks.length) config.push('disks');
  const comparable = sameLayout(config);
  const layout = comparable ? layoutMachine(a.file.metadata.machine, a.file.metadata.disks) : null;
  const sections = layout === null ? [] : diffSectionViews(sectionViews(a, layout), sectionViews(b, layout));
  const ram: RamDiff[] = [];
  for (const [block, imageA] of a.ramImages) {
    const imageB = b.ramImages.get(block);
    if (imageB !== undefined && imageB.length === imageA.length)
      ram.push({ block, pages: changedPages(imageA, imageB) });
  }
  return {
    a: pathA,
    b: pathB,
    guestTimeNs: [a.file.metadata.guestTimeNs, b.file.metadata.guestTimeNs],
    config,
    sections,
    ram,
    disks: diskDiffer ? await diskDiffer(a.file.metadata, b.file.metadata) : [],
  };
}

/** Page runs as text: '3, 10-12, 40'. */
export function formatRuns(pages: readonly number[]): string {
  return toRuns(pages, Infinity)
    .map(([first, last]) => (first === last ? `${first}` : `${first}-${last}`))
    .join(', ');
}

export function formatDiff(diff: SnapshotDiff): string {
  const lines = [
    `--- ${diff.a} (guest time ${diff.guestTimeNs[0]} ns)`,
    `+++ ${diff.b} (guest time ${diff.guestTimeNs[1]} ns)`,
  ];
  if (diff.config.length > 0) lines.push(`machine configuration differs: ${diff.config.join(', ')}`);
  if (!sameLayout(diff.config)) lines.push('(device state not compared: the machines have different layouts)');
  for (const s of diff.sections) {
    lines.push(`section ${s.section} instance ${s.instanceId}: ${s.fields.length} field(s)`);
    for (const field of s.fields) lines.push(`  ${field}`);
  }
  for (const r of diff.ram) {
    lines.push(
      `RAM ${r.block}: ${r.pages.length} page(s) of 4 KiB differ${r.pages.length > 0 ? `: ${formatRuns(r.pages)}` : ''}`,
    );
  }
  for (const d of diff.disks) {
    lines.push(
      `disk ${d.disk}: ${d.clusters.length} cluster(s) of ${d.clusterSize} bytes differ: ${formatRuns(d.clusters)}`,
    );
  }
  if (
    diff.config.length === 0 &&
    diff.sections.length === 0 &&
    diff.ram.every((r) => r.pages.length === 0) &&
    diff.disks.length === 0
  ) {
    lines.push('no differences');
  }
  return lines.join('\n') + '\n';
}
