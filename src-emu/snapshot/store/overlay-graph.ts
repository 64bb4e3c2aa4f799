/**
 * The overlays of one disk as a graph, read from the images: each overlay file in disks/<name>/ backs onto
 * another in the same folder, down to the disk's root image. With the tree's references (overlays frozen by
 * a snapshot, overlays the current state writes) it says what may go: an overlay nobody references with no
 * child is garbage, one with a single child is merged into it, one with several children (a branch point)
 * is kept for them.
 */
import { readdir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { readBacking } from './overlay-merge';

/** Overlay files the store creates: `ov-<time>-<random>.qcow2`. */
export const OVERLAY_FILE = /^ov-[a-z0-9]+-[a-z0-9]+\.qcow2$/;

export interface OverlayNode {
  readonly file: string;
  /** The overlay (or the root) it backs onto; null for the root itself, or for a file that does not parse. */
  readonly parent: string | null;
  /** The file could not be read as a qcow2 overlay (a creation cut short). */
  readonly broken: boolean;
}

export interface DiskGraph {
  readonly folder: string;
  readonly root: string;
  readonly nodes: ReadonlyMap<string, OverlayNode>;
}

export type CompactStep =
  | { readonly kind: 'delete'; readonly file: string }
  | { readonly kind: 'merge'; readonly parent: string; readonly child: string };

export class GraphError extends Error {
  override name = 'GraphError';
}

async function readNode(folder: string, file: string): Promise<OverlayNode> {
  let backing;
  try {
    backing = await readBacking(join(folder, file));
  } catch {
    return { file, parent: null, broken: true };
  }
  if (backing === null) return { file, parent: null, broken: true };
  if (resolve(dirname(backing.path)) !== resolve(folder)) {
    throw new GraphError(`${join(folder, file)} backs onto ${backing.path}, outside its disk folder`);
  }
  return { file, parent: basename(backing.path), broken: false };
}

/** Reads the overlays of one disk folder (the root is a node without parent). */
export async function readDiskGraph(folder: string, root: string): Promise<DiskGraph> {
  const nodes = new Map<string, OverlayNode>([[root, { file: root, parent: null, broken: false }]]);
  for (const file of await readdir(folder)) {
    if (OVERLAY_FILE.test(file)) nodes.set(file, await readNode(folder, file));
  }
  return { folder, root, nodes };
}

export function childrenOf(graph: DiskGraph, file: string): string[] {
  return [...graph.nodes.values()].filter((n) => n.parent === file).map((n) => n.file);
}

/** The chain from `file` down to the root, `file` first. */
export function chainOf(graph: DiskGraph, file: string): string[] {
  const chain: string[] = [];
  for (let at: string | null = file; at !== null; at = graph.nodes.get(at)?.parent ?? null) {
    if (chain.includes(at)) throw new GraphError(`${join(graph.folder, file)}: backing loop through ${at}`);
    const node = graph.nodes.get(at);
    if (node === undefined) throw new GraphError(`${join(graph.folder, at)} is missing (needed by ${file})`);
    if (node.broken) throw new GraphError(`${join(graph.folder, at)} is damaged (needed by ${file})`);
    chain.push(at);
  }
  if (chain[chain.length - 1] !== graph.root) {
    throw new GraphError(`${join(graph.folder, file)} does not lead down to the root image ${graph.root}`);
  }
  return chain;
}

/** Every referenced overlay must exist and lead down to the root. */
export function checkReferenced(graph: DiskGraph, referenced: ReadonlySet<string>): void {
  for (const file of referenced) chainOf(graph, file);
}

/**
 * The next clean-up step, or null when none is left: an unreferenced overlay without children is deleted;
 * one with exactly one child is merged into that child. The root is never touched.
 */
export function nextCompactStep(graph: DiskGraph, referenced: ReadonlySet<string>): CompactStep | null {
  for (const node of graph.nodes.values()) {
    if (node.file === graph.root || referenced.has(node.file)) continue;
    const children = childrenOf(graph, node.file);
    if (children.length === 0) return { kind: 'delete', file: node.file };
    if (children.length === 1 && !node.broken) return { kind: 'merge', parent: node.file, child: children[0]! };
  }
  return null;
}
