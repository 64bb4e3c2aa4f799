/**
 * `npm run bench`: Orrery against QEMU TCG, measured in the same run on the same machine, reported as
 * ratios (absolute times on shared machines are noise; ratios are what we track).
 *
 * 1. Guest MIPS on a CPU-bound bare-metal loop (integer ALU, branches, loads and stores).
 * 2. Boot of the Debian arm64 guest to init (time until the initramfs's init prints its banner).
 * 3. Snapshots of the Debian guest (512 MiB, deterministic mode, at the kernel's `Run /init`): save and restore
 *    times and the file's size, against the targets (restore under 1 s, save under 2 s, file under 64 MiB).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RingBackend } from '../src-emu/core/chardev';
import { fetchDebianGuest } from '../src-emu/cli/guest/debian';
import { OutputWatch } from '../src-emu/cli/output-watch';
import { Timer } from '../src-emu/core/timer';
import { VirtMachine, type VirtConfig } from '../src-emu/machine/virt';
import { machineConfigRecord } from '../src-emu/snapshot/machine-config';
import { readSnapshot, restoreSnapshot, saveSnapshot } from '../src-emu/snapshot/snapshot';

const QEMU = 'qemu-system-aarch64';
const INIT_BANNER = 'Orrery Debian guest';
const dir = mkdtempSync(join(tmpdir(), 'orrery-bench-'));

/** A loop of `iterations` rounds of 8 instructions, then PSCI SYSTEM_OFF. */
function loopProgram(iterations: number): string {
  const source = join(dir, `loop-${iterations}.S`);
  const object = source.replace(/\.S$/, '.o');
  const elf = source.replace(/\.S$/, '.elf');
  writeFileSync(
    source,
    `.text
.global _start
_start:
  ldr x0, =${iterations}
  ldr x5, =0x40200000
  mov x1, #0
  mov x2, #1
1:
  add x1, x1, x2
  eor x2, x2, x1, lsl #3
  str x1, [x5]
  ldr x3, [x5]
  add x1, x1, x3
  subs x0, x0, #1
  csel x4, x1, x2, ne
  b.ne 1b
  ldr x0, =0x84000008
  hvc #0
  b .
`,
  );
  execFileSync('aarch64-linux-gnu-as', ['-o', object, source]);
  execFileSync('aarch64-linux-gnu-ld', ['-Ttext=0x40080000', '-e', '_start', '-o', elf, object]);
  return elf;
}

const INSNS_PER_ITERATION = 8;

function timeQemu(args: string[], until?: string, timeoutMs = 120_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(QEMU, ['-M', 'virt', '-cpu', 'cortex-a57', '-nographic', ...args], { stdio: 'pipe' });
    const watch = new OutputWatch(until);
    watch.onMatch = () => {
      resolve(performance.now() - start);
      child.kill();
    };
    child.stdout.on('data', (chunk: Buffer) => watch.observe(chunk));
    const timer = setTimeout(() => child.kill(), timeoutMs);
    child.on('exit', () => {
      clearTimeout(timer);
      if (until === undefined) resolve(performance.now() - start);
      else if (!watch.seen) reject(new Error(`QEMU never printed '${until}'`));
    });
  });
}

async function timeOrrery(
  config: Omit<ConstructorParameters<typeof VirtMachine>[0], 'serial'>,
  until?: string,
  timeoutMs = 120_000,
): Promise<{ ms: number; instructions: number; reached: boolean }> {
  const serial = new RingBackend(1 << 20);
  const watch = new OutputWatch(until);
  const machine = new VirtMachine({ ...config, serial: watch.wrap(serial) });
  watch.onMatch = () => machine.stop('reached');
  const timer = setTimeout(() => machine.stop('timeout'), timeoutMs);
  const start = performance.now();
  const reason = await machine.run();
  const ms = performance.now() - start;
  clearTimeout(timer);
  const instructions = machine.cpus.reduce((sum, cpu) => sum + cpu.instructionCount, 0);
  return { ms, instructions, reached: reason === 'reached' || reason === 'poweroff' };
}

const fmt = (n: number, digits = 1): string => n.toFixed(digits);

async function benchMips(): Promise<void> {
  // Two lengths, so that start-up time cancels out of QEMU's figure; long enough (over a second on QEMU)
  // that the difference is not noise.
  const short = 20_000_000;
  const long = 400_000_000;
  const [shortElf, longElf] = [loopProgram(short), loopProgram(long)];
  const qemuShort = await timeQemu(['-kernel', shortElf]);
  const qemuLong = await timeQemu(['-kernel', longElf]);
  const qemuMips = ((long - short) * INSNS_PER_ITERATION) / ((qemuLong - qemuShort) * 1000);
  const orrery = await timeOrrery({ memoryMiB: 64, cpus: 1, kernel: new Uint8Array(readFileSync(shortElf)) });
  const orreryMips = orrery.instructions / (orrery.ms * 1000);
  console.log('CPU-bound loop (integer ALU, load/store, branches)');
  console.log(`  QEMU TCG  ${fmt(qemuMips)} MIPS`);
  console.log(`  Orrery    ${fmt(orreryMips)} MIPS${orrery.reached ? '' : '  (did not finish)'}`);
  console.log(`  ratio     QEMU/Orrery = ${fmt(qemuMips / orreryMips)}x`);
}

async function benchLinuxBoot(): Promise<void> {
  const guest = await fetchDebianGuest(join(process.cwd(), '.cache'));
  const boot = ['-m', '256', '-kernel', guest.kernel, '-initrd', guest.initrd, '-append', 'console=ttyAMA0'];
  const qemuMs = await timeQemu(boot, INIT_BANNER);
  const limitMs = Math.max(60_000, qemuMs * 40);
  const orrery = await timeOrrery(
    {
      memoryMiB: 256,
      cpus: 1,
      kernel: new Uint8Array(readFileSync(guest.kernel)),
      initrd: new Uint8Array(readFileSync(guest.initrd)),
      append: 'console=ttyAMA0',
    },
    INIT_BANNER,
    limitMs,
  );
  console.log(`Debian ${guest.manifest.kernelRelease} boot to init`);
  console.log(`  QEMU TCG  ${fmt(qemuMs / 1000, 2)} s`);
  if (orrery.reached) {
    console.log(`  Orrery    ${fmt(orrery.ms / 1000, 2)} s (${fmt(orrery.instructions / 1e6, 0)} M instructions)`);
    console.log(`  ratio     Orrery/QEMU = ${fmt(orrery.ms / qemuMs)}x`);
  } else {
    console.log(
      `  Orrery    did not reach init within ${fmt(limitMs / 1000, 0)} s ` +
        `(${fmt(orrery.instructions / 1e6, 0)} M instructions executed)`,
    );
  }
}

const SNAPSHOT_AT = 'Run /init';
const MiB = 1024 * 1024;
const SNAPSHOT_TARGETS = { restoreMs: 1000, saveMs: 2000, bytes: 64 * MiB };

/** A deterministic 512 MiB Debian machine (seeded, so every run boots the same). */
function debianSnapshotMachine(
  kernel: Uint8Array,
  initrd: Uint8Array,
): { machine: VirtMachine; serial: RingBackend; config: VirtConfig } {
  const serial = new RingBackend(1 << 20);
  const config: VirtConfig = {
    kernel,
    initrd,
    append: 'console=ttyAMA0',
    memoryMiB: 512,
    cpus: 1,
    serial,
    noReboot: true,
    seed: new Uint32Array(10),
    clockMode: 'deterministic',
  };
  return { machine: new VirtMachine(config), serial, config };
}

/** Runs until the console shows `text`, stopping at the first round boundary after it (checked each 10 ms). */
async function runUntilOutput(machine: VirtMachine, serial: RingBackend, text: string): Promise<boolean> {
  const poll = new Timer(machine.clock, () => {
    if (serial.outputText().includes(text)) machine.stop('reached');
    else poll.modAfterNs(10_000_000);
  });
  poll.modAfterNs(10_000_000);
  const limit = setTimeout(() => machine.stop('timeout'), 300_000);
  const reason = await machine.run();
  clearTimeout(limit);
  poll.del();
  return reason === 'reached';
}

const verdict = (value: number, target: number): string => (value < target ? 'meets' : 'MISSES');

async function benchSnapshot(): Promise<void> {
  const guest = await fetchDebianGuest(join(process.cwd(), '.cache'));
  const kernel = new Uint8Array(readFileSync(guest.kernel));
  const initrd = new Uint8Array(readFileSync(guest.initrd));
  const { machine, serial, config } = debianSnapshotMachine(kernel, initrd);
  console.log(`Debian snapshot (512 MiB RAM, deterministic mode, at '${SNAPSHOT_AT}')`);
  if (!(await runUntilOutput(machine, serial, SNAPSHOT_AT))) {
    console.log(`  did not reach '${SNAPSHOT_AT}'`);
    return;
  }
  const record = machineConfigRecord(machine, config, {
    kernel: { path: guest.kernel, bytes: kernel },
    initrd: { path: guest.initrd, bytes: initrd },
  });
  const path = join(dir, 'debian.orrsnap');
  let start = performance.now();
  await saveSnapshot(machine, path, { name: 'bench', config: record });
  const saveMs = performance.now() - start;
  const bytes = statSync(path).size;

  start = performance.now();
  await readSnapshot(path);
  const readMs = performance.now() - start;
  const fresh = debianSnapshotMachine(kernel, initrd).machine;
  start = performance.now();
  await restoreSnapshot(fresh, path);
  const restoreMs = performance.now() - start;
  rmSync(path);

  const guestS = machine.clock.now() / 1e9;
  console.log(`  guest time ${fmt(guestS, 2)} s, ${fmt(machine.cpus[0]!.instructionCount / 1e6, 0)} M instructions`);
  console.log(
    `  save      ${fmt(saveMs, 0)} ms  (target < ${SNAPSHOT_TARGETS.saveMs} ms: ${verdict(saveMs, SNAPSHOT_TARGETS.saveMs)})`,
  );
  console.log(
    `  restore   ${fmt(restoreMs, 0)} ms  (target < ${SNAPSHOT_TARGETS.restoreMs} ms: ` +
      `${verdict(restoreMs, SNAPSHOT_TARGETS.restoreMs)}; reading and checking the file alone: ${fmt(readMs, 0)} ms)`,
  );
  console.log(`  file      ${fmt(bytes / MiB, 1)} MiB  (target < 64 MiB: ${verdict(bytes, SNAPSHOT_TARGETS.bytes)})`);
}

await benchMips();
await benchLinuxBoot();
await benchSnapshot();
