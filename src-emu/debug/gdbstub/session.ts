/**
 * One gdb connection: the protocol state machine over a Debugger, independent of the transport. Packets
 * come in through `handle`, replies leave through `send` (payloads; framing is the transport's).
 *
 * All-stop mode, as QEMU's stub: vCPUs are threads 1..n; `c`/`vCont;c` runs every vCPU until a breakpoint,
 * watchpoint or Ctrl-C stops the machine; `s` steps the selected vCPU with the others stopped.
 * Reference: GDB manual appendix E (Packets, Stop Reply Packets, General Query Packets, vCont).
 */
import type { Debugger, StopEvent } from '../debugger';
import { readVirtual, writeVirtual } from '../guest-memory';
import { GDB_REG, readRegister, registerSize, writeRegister } from '../registers';
import type { WatchKind } from '../watchpoints';
import { escapeBinary, fromHex, parseHexAddress, textToHex, hexToText, toHex } from './packet';
import { FEATURE_FILES } from './target-xml';

/** Runs a monitor command line for `monitor ...` (qRcmd) and returns its output. */
export type MonitorRunner = (line: string) => string;

const SIGINT = 0x02;
const SIGTRAP = 0x05;
const MAX_PACKET = 0x4000;
const WATCH_KINDS: Record<string, WatchKind> = { '2': 'write', '3': 'read', '4': 'access' };

export interface SessionEvents {
  /** `k`: the debugger asks to end the machine. */
  kill(): void;
  /** `D`: the connection ends after the reply. */
  detach(): void;
}

export class GdbSession {
  /** Thread for g/G/p/P/m/M (Hg) and for s/c (Hc): vCPU indexes. */
  private generalCpu = 0;
  private continueCpu = -1;
  private waitingForStop = false;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly dbg: Debugger,
    private readonly send: (payload: string) => void,
    private readonly events: SessionEvents,
    private readonly monitor: MonitorRunner | null = null,
  ) {
    this.unsubscribe = dbg.addStopListener((event) => this.onStop(event));
    // Like QEMU, a debugger attaching stops the machine.
    const stop = dbg.pause('attach');
    this.generalCpu = stop.cpu;
  }

  /** The connection is gone: breakpoints go, the machine runs on. */
  close(): void {
    this.unsubscribe();
    this.dbg.clearAll();
    this.dbg.resume();
  }

  /** Ctrl-C from gdb. */
  interrupt(): void {
    if (this.waitingForStop) this.dbg.pause('interrupt');
  }

  /** The machine ended (poweroff, quit) while gdb may be waiting for a stop. */
  machineExited(): void {
    if (this.waitingForStop) this.send('W00');
    this.waitingForStop = false;
  }

  handle(packet: string): void {
    const reply = this.dispatch(packet);
    if (reply !== null) this.send(reply);
  }

  private dispatch(p: string): string | null {
    switch (p[0]) {
      case '?':
        return this.stopReply(this.dbg.stopEvent ?? this.dbg.pause('interrupt'));
      case 'g':
        return this.readAllRegisters();
      case 'G':
        return this.writeAllRegisters(p.slice(1));
      case 'p':
        return this.readOneRegister(p.slice(1));
      case 'P':
        return this.writeOneRegister(p.slice(1));
      case 'm':
        return this.readMemory(p.slice(1));
      case 'M':
        return this.writeMemory(p.slice(1));
      case 'Z':
      case 'z':
        return this.breakOrWatch(p[0] === 'Z', p.slice(1));
      case 'c':
      case 'C':
        return this.continueAll();
      case 's':
      case 'S':
        return this.stepOne(this.continueCpu >= 0 ? this.continueCpu : this.generalCpu);
      case 'H':
        return this.selectThread(p[1]!, p.slice(2));
      case 'T':
        return this.cpuFromThreadId(p.slice(1)) !== null ? 'OK' : 'E01';
      case 'D':
        this.dbg.clearAll();
        this.events.detach();
        return 'OK';
      case 'k':
        this.events.kill();
        return null;
      case 'q':
      case 'Q':
        return this.query(p);
      case 'v':
        return this.vPacket(p);
      default:
        return '';
    }
  }

  // --- queries ------------------------------------------------------------------------------------

  private query(p: string): string {
    if (p.startsWith('qSupported')) {
      return `PacketSize=${MAX_PACKET.toString(16)};qXfer:features:read+;vContSupported+;QStartNoAckMode+`;
    }
    if (p === 'QStartNoAckMode') return 'OK';
    if (p.startsWith('qXfer:features:read:')) return this.readFeature(p.slice('qXfer:features:read:'.length));
    if (p === 'qAttached' || p.startsWith('qAttached:')) return '1';
    if (p === 'qfThreadInfo') return 'm' + this.dbg.cpus.map((_, i) => threadId(i)).join(',');
    if (p === 'qsThreadInfo') return 'l';
    if (p === 'qC') return 'QC' + threadId(this.generalCpu);
    if (p.startsWith('qThreadExtraInfo,')) {
      const cpu = this.cpuFromThreadId(p.slice('qThreadExtraInfo,'.length));
      if (cpu === null) return 'E01';
      return textToHex(`CPU#${cpu} [${this.dbg.isRunnable(cpu) ? 'running' : 'halted '}]`);
    }
    if (p.startsWith('qRcmd,')) return this.monitorCommand(p.slice('qRcmd,'.length));
    if (p === 'qSymbol::') return 'OK';
    return '';
  }

  private readFeature(args: string): string {
    const match = /^([^:]+):([0-9a-fA-F]+),([0-9a-fA-F]+)$/.exec(args);
    if (!match) return 'E00';
    const text = FEATURE_FILES.get(match[1]!);
    if (text === undefined) return 'E00';
    const offset = parseInt(match[2]!, 16);
    const length = parseInt(match[3]!, 16);
    const chunk = text.slice(offset, offset + length);
    return (offset + length >= text.length ? 'l' : 'm') + escapeBinary(chunk);
  }

  private monitorCommand(hex: string): string {
    const line = hexToText(hex);
    if (line === null) return 'E01';
    if (this.monitor === null) return textToHex('no monitor\n');
    const output = this.monitor(line);
    if (output.length > 0) this.send('O' + textToHex(output.endsWith('\n') ? output : output + '\n'));
    return 'OK';
  }

  // --- threads ------------------------------------------------------------------------------------

  private selectThread(op: string, id: string): string {
    const cpu = id === '-1' || id === '0' ? -1 : this.cpuFromThreadId(id);
    if (cpu === null) return 'E01';
    if (op === 'g') this.generalCpu = cpu < 0 ? this.generalCpu : cpu;
    else if (op === 'c') this.continueCpu = cpu;
    else return 'E01';
    return 'OK';
  }

  private cpuFromThreadId(id: string): number | null {
    const n = parseInt(id, 16);
    if (!/^[0-9a-fA-F]+$/.test(id) || n < 1 || n > this.dbg.cpus.length) return null;
    return n - 1;
  }

  // --- registers and memory -----------------------------------------------------------------------

  private get cpu() {
    return this.dbg.cpus[this.generalCpu]!;
  }

  private readAllRegisters(): string {
    let out = '';
    for (let n = 0; n < GDB_REG.COUNT; n++) out += toHex(readRegister(this.cpu, n));
    return out;
  }

  private writeAllRegisters(hex: string): string {
    const bytes = fromHex(hex);
    if (bytes === null) return 'E01';
    let at = 0;
    for (let n = 0; n < GDB_REG.COUNT && at < bytes.length; n++) {
      const size = registerSize(n);
      if (at + size > bytes.length) break;
      writeRegister(this.cpu, n, bytes.subarray(at, at + size));
      at += size;
    }
    return 'OK';
  }

  private readOneRegister(arg: string): string {
    const n = parseInt(arg, 16);
    return registerSize(n) === 0 ? 'E01' : toHex(readRegister(this.cpu, n));
  }

  private writeOneRegister(arg: string): string {
    const [num, value] = arg.split('=');
    const bytes = fromHex(value ?? '');
    if (bytes === null || !writeRegister(this.cpu, parseInt(num ?? '', 16), bytes)) return 'E01';
    return 'OK';
  }

  private readMemory(arg: string): string {
    const match = /^([0-9a-fA-F]+),([0-9a-fA-F]+)$/.exec(arg);
    const address = match ? parseHexAddress(match[1]!) : null;
    if (!match || address === null) return 'E01';
    const length = Math.min(parseInt(match[2]!, 16), MAX_PACKET / 2 - 16);
    const bytes = readVirtual(this.cpu, address, length);
    return bytes === null ? 'E14' : toHex(bytes);
  }

  private writeMemory(arg: string): string {
    const match = /^([0-9a-fA-F]+),([0-9a-fA-F]+):([0-9a-fA-F]*)$/.exec(arg);
    const address = match ? parseHexAddress(match[1]!) : null;
    const bytes = match ? fromHex(match[3]!) : null;
    if (!match || address === null || bytes === null || bytes.length !== parseInt(match[2]!, 16)) return 'E01';
    return writeVirtual(this.cpu, address, bytes) ? 'OK' : 'E14';
  }

  // --- breakpoints and watchpoints ----------------------------------------------------------------

  private breakOrWatch(insert: boolean, arg: string): string {
    const match = /^([0-4]),([0-9a-fA-F]+),([0-9a-fA-F]+)/.exec(arg);
    const address = match ? parseHexAddress(match[2]!) : null;
    if (!match || address === null) return 'E01';
    const type = match[1]!;
    if (type === '0' || type === '1') {
      if (!insert) return this.dbg.removeBreakpoint(address) ? 'OK' : 'E01';
      return this.dbg.insertBreakpoint(address, this.generalCpu) ? 'OK' : 'E14';
    }
    const kind = WATCH_KINDS[type]!;
    const length = parseInt(match[3]!, 16);
    if (!insert) return this.dbg.removeWatchpoint(address, length, kind) ? 'OK' : 'E01';
    return this.dbg.insertWatchpoint(address, length, kind) ? 'OK' : 'E01';
  }

  // --- run control --------------------------------------------------------------------------------

  private continueAll(): null {
    this.waitingForStop = true;
    this.dbg.resume();
    return null;
  }

  private stepOne(cpu: number): string {
    const event = this.dbg.step(cpu);
    return this.stopReply(event);
  }

  private vPacket(p: string): string | null {
    if (p === 'vCont?') return 'vCont;c;C;s;S';
    if (p === 'vMustReplyEmpty') return '';
    if (!p.startsWith('vCont;')) return '';
    // Actions apply left to right; the first that names a thread (or none) wins for it.
    for (const action of p.slice('vCont;'.length).split(';')) {
      const [verb, thread] = action.split(':');
      if (verb === undefined) continue;
      if (verb[0] === 's' || verb[0] === 'S') {
        const cpu = thread === undefined ? this.generalCpu : this.cpuFromThreadId(thread);
        if (cpu === null) return 'E01';
        return this.stepOne(cpu);
      }
    }
    return this.continueAll();
  }

  private onStop(event: StopEvent): void {
    if (!this.waitingForStop) return;
    this.waitingForStop = false;
    this.send(this.stopReply(event));
  }

  private stopReply(event: StopEvent): string {
    this.generalCpu = event.cpu;
    const signal = event.cause === 'interrupt' ? SIGINT : SIGTRAP;
    let reply = `T${signal.toString(16).padStart(2, '0')}`;
    if (event.cause === 'watchpoint' && event.watchpoint !== undefined && event.hitAddress !== undefined) {
      const name = { write: 'watch', read: 'rwatch', access: 'awatch' }[event.watchpoint.kind];
      reply += `${name}:${event.hitAddress.toString(16)};`;
    }
    return `${reply}thread:${threadId(event.cpu)};`;
  }
}

function threadId(cpu: number): string {
  return (cpu + 1).toString(16).padStart(2, '0');
}
