/**
 * Debugging front ends for a running machine, as `orrery run` configures them: the gdb stub
 * (`--gdb tcp::PORT`, `-s`), start paused (`-S`) and the monitor (`--monitor stdio|tcp:HOST:PORT`).
 */
import type { VirtMachine } from '../machine/virt';
import { Debugger } from './debugger';
import { GdbServer, parseGdbSpec } from './gdbstub/server';
import { Monitor } from './monitor/commands';
import { parseMonitorSpec, startStdioMonitor, startTcpMonitor, type MonitorTransport } from './monitor/server';

export interface DebugOptions {
  /** QEMU -gdb device, e.g. `tcp::1234`. */
  readonly gdb?: string;
  /** QEMU -S: do not run the CPUs until gdb continues or the monitor says `cont`. */
  readonly startPaused?: boolean;
  /** QEMU -monitor device: `stdio` or `tcp:HOST:PORT`. */
  readonly monitor?: string;
  /** Progress lines (listening ports) for the user. */
  readonly log?: (line: string) => void;
}

/** A bad --gdb or --monitor value. */
export class DebugSetupError extends Error {
  override name = 'DebugSetupError';
}

export interface Debugging {
  readonly debugger: Debugger;
  readonly monitor: Monitor;
  readonly gdbPort: number | null;
  readonly monitorPort: number | null;
  /** Ends the front ends (the machine has stopped). */
  close(): Promise<void>;
}

export async function attachDebugging(machine: VirtMachine, options: DebugOptions): Promise<Debugging> {
  const dbg = new Debugger(machine);
  const monitor = new Monitor(machine, dbg);
  const log = options.log ?? (() => undefined);
  let gdb: GdbServer | null = null;
  let gdbPort: number | null = null;
  let transport: MonitorTransport | null = null;
  if (options.gdb !== undefined) {
    const spec = parseGdbSpec(options.gdb);
    if (spec === null) throw new DebugSetupError(`unknown gdb device '${options.gdb}' (tcp::PORT or tcp:HOST:PORT)`);
    gdb = new GdbServer(dbg, {
      ...spec,
      monitor: (line) => monitor.execute(line).output,
      onKill: () => machine.stop('quit'),
    });
    gdbPort = await gdb.listen();
    log(`gdb stub on tcp ${spec.host}:${gdbPort}`);
  }
  if (options.monitor !== undefined) {
    const spec = parseMonitorSpec(options.monitor);
    if (spec === null)
      throw new DebugSetupError(`unknown monitor device '${options.monitor}' (stdio or tcp:HOST:PORT)`);
    transport =
      spec.kind === 'stdio' ? startStdioMonitor(monitor) : await startTcpMonitor(monitor, spec.host, spec.port);
    if (transport.port !== null) log(`monitor on tcp ${spec.kind === 'tcp' ? spec.host : ''}:${transport.port}`);
  }
  if (options.startPaused) dbg.pause('attach');
  return {
    debugger: dbg,
    monitor,
    gdbPort,
    monitorPort: transport?.port ?? null,
    close: async () => {
      await gdb?.close();
      await transport?.close();
    },
  };
}
