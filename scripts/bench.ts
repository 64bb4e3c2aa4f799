/**
 * `npm run bench`: Orrery against QEMU TCG, measured in the same run on the same machine, reported as
 * ratios (absolute times on shared machines are noise; ratios are what we track).
 *
 * 1. Guest MIPS on a CPU-bound bare-metal loop (integer ALU, branches, loads and stores).
 * 2. Boot of the Debian arm64 guest to init (time until the initramfs's init prints its banner).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RingBackend } from '../src-emu/core/chardev';
import { fetchDebianGuest } from '../src-emu/cli/guest/debian';
import { OutputWatch } from '../src-emu/cli/output-watch';
import { VirtMachine } from '../src-emu/machine/virt';

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

await benchMips();
await benchLinuxBoot();
