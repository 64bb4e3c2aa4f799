/**
 * Compiles a hot run of instructions (up to an unconditional branch, the page end or MAX_BLOCK_INSNS) into one
 * JavaScript function with `new Function`, from the per-entry source templates of insn/jit-index.ts. Words
 * without a template run their ordinary closure from inside the block. Register numbers, immediates and
 * offsets become constants, and the run loop's per-instruction work disappears; a block without closures
 * keeps the registers it uses in locals.
 *
 * Block contract (cpu.ts runs them):
 * - Entered with `cpu.pcLo/pcHi` at the block's first instruction, `cpu.loopInsns` = 0 and a budget of at
 *   least its length; returns how many instructions it executed. A branch back to the block's start loops
 *   inside while the budget allows and no interrupt or stop is pending.
 * - Instruction count invariant: whenever the block calls out of its generated code (a closure, a load or a
 *   store, whose slow path may reach an MMIO device; each may read the clock or fault), the instructions it
 *   has executed so far are exactly `cpu.loopInsns` (finished iterations) + (pcLo's slot - the first slot).
 *   `Cpu.executedInRun()` counts so, and deterministic virtual time is that count << icount shift, so a
 *   CNTVCT_EL0 or device read inside a looping block sees the same time as in the interpreter. A looping
 *   block with such calls stores loopInsns once per iteration; one without them cannot be observed.
 * - Returns with `cpu.jumped = 1` after a taken branch (PC set) or after a closure that set it; otherwise with
 *   pcLo at the next instruction (possibly the next page). Conditional branches inside a block are side exits.
 * - Before anything that may fault or read the PC (loads, stores, closures), `cpu.pcLo` is set to that
 *   instruction, so a fault's return address is exact and the count above holds.
 * - After a store or closure, the block returns if its page's decoded code was invalidated (`stamp` changed):
 *   a store into the block itself must take effect from the next instruction, as in the interpreter.
 * Blocks belong to their DecodedPage and are dropped with it.
 */
import type { ExecFn, JitCode } from './encoding';
import { JitKind } from './encoding';
import { ALL_FLAGS, jumpRelative } from './insn/jit-util';
import type { Decoder } from './decoder';
import type { DecodedPage } from './code-cache';
import type { Cpu } from './cpu';
import { JIT_TEMPLATES } from './insn/jit-index';
import {
  asrHi,
  asrLo,
  lsrHi,
  lsrLo,
  mulhs32,
  mulhu32,
  rorHi,
  rorLo,
  sdiv64,
  shlHi,
  shlLo,
  smulh64,
  udiv64,
  umulh64,
} from './int64';
import { INSNS_PER_PAGE } from './code-cache';

/** Runs a compiled block with at most `budget` instructions; returns the number executed. */
export type BlockFn = (cpu: Cpu, budget: number) => number;

export interface CompiledBlock {
  /** Most instructions the block can execute (the run loop enters it only with that much budget left). */
  readonly length: number;
  readonly run: BlockFn;
}

export const MAX_BLOCK_INSNS = 128;

/** Helpers the generated code may call as `h_<name>`. */
const HELPERS = {
  mulhu32,
  mulhs32,
  umulh64,
  smulh64,
  udiv64,
  sdiv64,
  shlLo,
  shlHi,
  lsrLo,
  lsrHi,
  asrLo,
  asrHi,
  rorLo,
  rorHi,
  pair: new Int32Array(2),
};
const HELPER_PROLOGUE = Object.keys(HELPERS)
  .map((name) => `const h_${name} = h.${name};`)
  .join('\n');

type BlockFactory = (h: typeof HELPERS, c: readonly ExecFn[], pg: DecodedPage) => BlockFn;

/** Factories by source: a page decoded again (after a write) or the same code elsewhere reuses them. */
const factories = new Map<string, BlockFactory>();
const MAX_FACTORIES = 20_000;

interface Item {
  code: JitCode | null;
  readonly word: number;
  readonly offset: number;
  /** Index into the closures array, for words without a template. */
  readonly closure: number;
}

/**
 * Source of the block starting at slot `start` of `page`, the closures it calls (c[i]), and its length.
 * `maxInsns` bounds the length (tests compile single instructions).
 */
export function blockSource(
  page: DecodedPage,
  start: number,
  decoder: Decoder,
  maxInsns: number,
): { src: string; closures: ExecFn[]; length: number } {
  const closures: ExecFn[] = [];
  const items = collect(page, start, decoder, maxInsns, closures);
  elideDeadFlags(items, decoder);
  const length = items.length;
  const startOffset = start * 4;
  const toStart = (item: Item): boolean =>
    item.code?.direct !== undefined && item.offset + item.code.direct.delta === startOffset;
  const loops = items.some(toStart);
  // Only a block that calls out of itself can have its count observed mid-iteration (or fault).
  const recordLoops = loops && items.some(callsOut);
  const done = loops ? 'done + ' : '';
  /** Leaves after `count` instructions, continuing at the next one. */
  const exit = (count: number): string =>
    `{ cpu.pcLo = (b + ${startOffset + count * 4}) | 0; return ${done}${count}; }`;
  const parts: string[] = [];
  items.forEach((item, i) => {
    const count = i + 1;
    const setPc = `cpu.pcLo = b | ${item.offset};`;
    const leaveIfStale = `if (pg.stamp !== stamp) ${exit(count)}`;
    const code = item.code;
    if (code === null) {
      parts.push(`${setPc} c[${item.closure}](cpu);`, `if (cpu.jumped !== 0) return ${done}${count};`, leaveIfStale);
    } else if (code.kind === JitKind.Load) parts.push(setPc, code.src);
    else if (code.kind === JitKind.Store) parts.push(setPc, code.src, leaveIfStale);
    else if (code.kind === JitKind.Plain) parts.push(code.src);
    else if (toStart(item)) parts.push(loopBack(code.direct!.cond, count, length, startOffset, recordLoops));
    else if (code.direct !== undefined && code.direct.cond !== 'true') {
      // A conditional branch: a side exit when taken.
      const direct = code.direct;
      parts.push(`if (${direct.cond}) { ${jumpRelative(item.offset, direct.delta)} return ${done}${count}; }`);
    } else parts.push(code.src, `if (cpu.jumped !== 0) return ${done}${count};`);
  });
  parts.push(exit(length));
  let body = parts.join('\n');
  let declarations = '';
  let writeBack = '';
  if (closures.length === 0) ({ body, declarations, writeBack } = registersInLocals(body));
  const code = loops ? `for (;;) {\n${body}\n}` : body;
  const wrapped = writeBack === '' ? code : `try {\n${code}\n} catch (e) { ${writeBack}throw e; }`;
  const src = `const x = cpu.x; const b = cpu.pcLo & -4096;${loops ? ' let done = 0;' : ''}${declarations}\n${wrapped}`;
  return { src, closures, length };
}

/**
 * True for an instruction that leaves the generated code while it runs: a closure, or a load or store (its
 * slow path reaches MMIO devices, which may read the clock, and it may fault). Anything that can observe
 * the block's instruction count mid-run is one of these.
 */
function callsOut(item: Item): boolean {
  const code = item.code;
  return code === null || code.kind === JitKind.Load || code.kind === JitKind.Store;
}

/**
 * Keeps the registers a block uses in JavaScript locals (`r<slot>`) instead of `cpu.x`, for a block that
 * calls no closure (nothing else reads or writes registers while it runs): templates only ever index `x`
 * with constant slots, so the rewrite is textual. Every local always holds its register's current value, so
 * each exit, and a fault (the catch), stores back every register the block writes. Stores into an Int32Array
 * wrap to int32; the locals get the same `| 0`.
 */
function registersInLocals(body: string): { body: string; declarations: string; writeBack: string } {
  const used = new Set<number>();
  const written = new Set<number>();
  for (const m of body.matchAll(/x\[(\d+)\]( = (?!=))?/g)) {
    used.add(Number(m[1]));
    if (m[2] !== undefined) written.add(Number(m[1]));
  }
  if (used.size === 0) return { body, declarations: '', writeBack: '' };
  const writeBack = [...written].map((slot) => `x[${slot}] = r${slot}; `).join('');
  const rewritten = body
    .replace(/x\[(\d+)\] = ([^;]*);/g, 'r$1 = ($2) | 0;')
    .replace(/x\[(\d+)\]/g, 'r$1')
    .replace(/return ([^;]*);/g, `{ ${writeBack}return $1; }`);
  const declarations = ` let ${[...used].map((slot) => `r${slot} = x[${slot}]`).join(', ')};`;
  return { body: rewritten, declarations, writeBack };
}

/**
 * The instructions of the block: up to an unconditional branch (conditional ones become side exits), the
 * page end or `maxInsns`. Words without a template get their closure in `closures`.
 */
function collect(page: DecodedPage, start: number, decoder: Decoder, maxInsns: number, closures: ExecFn[]): Item[] {
  const view = page.block.view;
  const items: Item[] = [];
  for (let idx = start; idx < INSNS_PER_PAGE && items.length < maxInsns; idx++) {
    const word = view.getInt32(page.offset + idx * 4, true);
    const entry = decoder.lookup(word);
    const template = JIT_TEMPLATES.get(entry.name);
    const code = template === undefined ? null : template(word, idx * 4, ALL_FLAGS);
    items.push({ code, word, offset: idx * 4, closure: code === null ? closures.length : -1 });
    if (code === null) closures.push(entry.exec(word));
    else if (code.kind === JitKind.Branch && (code.direct === undefined || code.direct.cond === 'true')) break;
  }
  return items;
}

/**
 * Regenerates flag-setting instructions to compute only the flags read before the next write. Flags are live
 * at the block's end and before anything that may fault or is a closure (exception entry saves NZCV).
 */
function elideDeadFlags(items: Item[], decoder: Decoder): void {
  let live = ALL_FLAGS;
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i];
    const code = item.code;
    // Flags are live where the block may leave: faults, closures, side exits.
    if (code === null || code.kind === JitKind.Load || code.kind === JitKind.Store || code.kind === JitKind.Branch) {
      live = ALL_FLAGS | (code?.reads ?? 0);
      continue;
    }
    if (code.setsFlags === true) {
      if (live !== ALL_FLAGS) {
        const template = JIT_TEMPLATES.get(decoder.lookup(item.word).name)!;
        item.code = template(item.word, item.offset, live);
      }
      live = 0;
    }
    live |= code.reads ?? 0;
  }
}

/**
 * A branch back to the block's start (after `count` instructions of the iteration), as a loop: a further
 * iteration needs the whole block's length left in the budget, no unmasked interrupt and no stop request,
 * exactly what the run loop would check before entering the block again.
 */
function loopBack(cond: string, count: number, length: number, startOffset: number, record: boolean): string {
  return `if (${cond}) {
done += ${count};${record ? ' cpu.loopInsns = done;' : ''}
if (done + ${length} > budget || (cpu.interruptPending & ~cpu.daif & 3) !== 0 || cpu.forceBoundary !== 0) {
cpu.pcLo = b | ${startOffset}; cpu.jumped = 1; return done; }
continue; }`;
}

/** False once the host refused `new Function` (code generation from strings disallowed): closures only. */
let codeGeneration = true;

/**
 * Compiles the block at slot `start` of `page` (the page must be marked as code by the caller); null when
 * the host does not allow generated code.
 */
export function compileBlock(
  page: DecodedPage,
  start: number,
  decoder: Decoder,
  maxInsns = MAX_BLOCK_INSNS,
): CompiledBlock | null {
  if (!codeGeneration) return null;
  const { src, closures, length } = blockSource(page, start, decoder, maxInsns);
  let factory = factories.get(src);
  if (factory === undefined) {
    const body = `${HELPER_PROLOGUE}\nconst stamp = pg.stamp;\nreturn function block(cpu, budget) {\n${src}\n};`;
    try {
      factory = new Function('h', 'c', 'pg', body) as BlockFactory;
    } catch (e) {
      if (!(e instanceof EvalError)) throw e;
      codeGeneration = false;
      return null;
    }
    if (factories.size >= MAX_FACTORIES) factories.clear();
    factories.set(src, factory);
  }
  return { length, run: factory(HELPERS, closures, page) };
}
