/**
 * The monitor: a subset of QEMU's HMP as a pure command interpreter over the machine. `execute(line)`
 * returns the text to show; transports (server.ts, the gdb stub's `monitor` command, later the app's
 * inspector) only move lines. Reading state never changes the machine; `stop`, `cont`, `system_reset`
 * and `quit` are the only commands that do.
 */
import { qtree } from '../../core/object';
import type { VirtMachine } from '../../machine/virt';
import type { Debugger } from '../debugger';
import { readPhysical, readVirtual } from '../guest-memory';
import { GDB_REG, registerValue } from '../registers';
import { cpuRegistersText, gicText } from './info';
import { formatDump, parseDumpFormat } from './memory-dump';

export interface MonitorReply {
  readonly output: string;
  /** `quit`: the transport closes and the machine ends. */
  readonly quit?: boolean;
}

/** What the monitor needs of a board. */
export type MonitorMachine = Pick<VirtMachine, 'cpus' | 'root' | 'addressSpace' | 'gic' | 'scheduler'> & {
  systemReset(): void;
  stop(reason: string): void;
};

const HELP = `cont|c -- resume emulation
cpu N -- select the vCPU for x and info registers -c
help|? -- this text
info cpus -- list vCPUs
info irq|pic -- interrupt controller state
info mtree [-f] -- memory regions (-f: flattened view)
info qtree -- device tree
info registers [-a] -- vCPU registers (all vCPUs)
quit|q -- quit the emulator
stop -- stop emulation
system_reset -- reset the machine
x /fmt addr -- virtual memory dump starting at addr (fmt: count, x/d/u/o/c/i, b/h/w/g)
xp /fmt addr -- physical memory dump starting at addr
`;

export class Monitor {
  /** The vCPU `x` translates through (QEMU's monitor "current CPU"). */
  private currentCpu = 0;

  constructor(
    private readonly machine: MonitorMachine,
    private readonly dbg: Debugger,
  ) {}

  execute(line: string): MonitorReply {
    const trimmed = line.trim();
    if (trimmed === '') return { output: '' };
    const [command = '', ...rest] = trimmed.split(/\s+/);
    const args = rest.join(' ');
    try {
      return this.run(command, args);
    } catch (error) {
      return { output: `${(error as Error).message}\n` };
    }
  }

  private run(command: string, args: string): MonitorReply {
    const dump = /^(xp?)(?:\/(\S*))?$/.exec(command);
    if (dump) {
      // QEMU takes both `x/4xw addr` and `x /4xw addr`.
      const spaced = dump[2] === undefined ? /^\/(\S*)\s+(.*)$/.exec(args) : null;
      const fmt = spaced ? spaced[1]! : (dump[2] ?? '');
      return { output: this.dumpMemory(dump[1] === 'xp', fmt, spaced ? spaced[2]! : args) };
    }
    switch (command) {
      case 'help':
      case '?':
        return { output: HELP };
      case 'info':
        return { output: this.info(args) };
      case 'stop':
        this.dbg.pause('interrupt');
        return { output: '' };
      case 'cont':
      case 'c':
        this.dbg.resume();
        return { output: '' };
      case 'cpu':
        return { output: this.selectCpu(args) };
      case 'system_reset':
        this.machine.systemReset();
        return { output: '' };
      case 'quit':
      case 'q':
        this.machine.stop('quit');
        return { output: '', quit: true };
      default:
        return { output: `unknown command: '${command}' (try 'help')\n` };
    }
  }

  private info(args: string): string {
    const [what = '', ...flags] = args.split(/\s+/);
    switch (what) {
      case 'qtree':
        return qtree(this.machine.root);
      case 'mtree':
        return flags.includes('-f') ? this.flatView() : this.machine.addressSpace.mtree();
      case 'registers':
        return this.registers(flags.includes('-a') || !flags.includes('-c'));
      case 'cpus':
        return this.machine.cpus
          .map((cpu) => {
            const mark = cpu.index === this.currentCpu ? '*' : ' ';
            const pc = this.dbg.pcOf(cpu.index).toString(16).padStart(16, '0');
            return `${mark} CPU #${cpu.index}: pc=0x${pc} (${this.power(cpu.index)})\n`;
          })
          .join('');
      case 'irq':
      case 'pic':
        return gicText(this.machine.gic.cpuInterfaces(), this.machine.gic.interrupts());
      default:
        return `info ${what}: unknown (qtree, mtree, registers, cpus, irq, pic)\n`;
    }
  }

  private registers(all: boolean): string {
    const cpus = all ? this.machine.cpus : [this.machine.cpus[this.currentCpu]!];
    return cpus.map((cpu) => cpuRegistersText(cpu, this.power(cpu.index))).join('\n');
  }

  private power(index: number): string {
    const slot = this.machine.scheduler.slots[index];
    if (slot === undefined || slot.power !== 'on') return 'off';
    return this.machine.scheduler.isPaused ? 'paused' : slot.sleeping ? 'halted' : 'running';
  }

  private flatView(): string {
    return (
      this.machine.addressSpace
        .flatView()
        .map((r) => {
          const range = `${r.start.toString(16).padStart(16, '0')}-${(r.end - 1).toString(16).padStart(16, '0')}`;
          return `  ${range} (${r.kind}): ${r.region} @${r.offset.toString(16).padStart(16, '0')}\n`;
        })
        .join('') || '  (empty)\n'
    );
  }

  private selectCpu(args: string): string {
    const n = Number(args);
    if (!Number.isInteger(n) || n < 0 || n >= this.machine.cpus.length) return `invalid CPU index '${args}'\n`;
    this.currentCpu = n;
    return '';
  }

  private dumpMemory(physical: boolean, fmtText: string, expr: string): string {
    const fmt = parseDumpFormat(fmtText);
    if (fmt === null) return `invalid format '/${fmtText}'\n`;
    const address = this.evaluate(expr);
    const length = fmt.count * fmt.size;
    const cpu = this.machine.cpus[this.currentCpu]!;
    const bytes = physical
      ? readPhysical(this.machine.addressSpace, Number(address), length)
      : readVirtual(cpu, address, length);
    if (bytes === null)
      return `Cannot access memory at ${physical ? 'physical ' : ''}address 0x${address.toString(16)}\n`;
    return formatDump(address, bytes, fmt);
  }

  /** A number (hex with 0x, decimal) or a register of the current vCPU: $pc, $sp, $x0..$x30. */
  private evaluate(expr: string): bigint {
    const text = expr.trim();
    if (/^0x[0-9a-f]+$/i.test(text) || /^\d+$/.test(text)) return BigInt(text);
    const reg = /^\$(pc|sp|x(\d+))$/i.exec(text);
    if (reg) {
      const n =
        reg[1]!.toLowerCase() === 'pc' ? GDB_REG.PC : reg[1]!.toLowerCase() === 'sp' ? GDB_REG.SP : Number(reg[2]);
      if (n <= GDB_REG.PC) return registerValue(this.machine.cpus[this.currentCpu]!, n);
    }
    throw new Error(`cannot evaluate '${text}' (a number such as 0x40000000, or $pc, $sp, $x0..$x30)`);
  }
}
