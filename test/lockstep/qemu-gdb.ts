/**
 * QEMU's virt board halted at reset with its gdb stub on a random localhost port, for lockstep runs.
 * Single-stepping through the stub masks interrupts and stops timers (QEMU's default sstep flags), which is
 * what makes lockstep deterministic for programs that do not wait for interrupts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { RspClient } from './rsp';

export interface QemuGdbOptions {
  readonly kernel: string;
  readonly memoryMiB?: number;
  readonly cpu?: string;
  readonly qemu?: string;
}

export interface QemuGdbSession {
  readonly gdb: RspClient;
  /** Everything the guest wrote to its serial port so far. */
  serial(): string;
  /** Resolves true once QEMU has exited (e.g. PSCI SYSTEM_OFF), false after the timeout. */
  waitForExit(timeoutMs: number): Promise<boolean>;
  /** Kills QEMU and closes the connection. */
  close(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export async function startQemuGdb(options: QemuGdbOptions): Promise<QemuGdbSession> {
  const port = await freePort();
  const args = [
    '-M',
    'virt',
    '-cpu',
    options.cpu ?? 'cortex-a57',
    '-m',
    String(options.memoryMiB ?? 128),
    '-display',
    'none',
    '-monitor',
    'none',
    '-serial',
    'stdio',
    '-no-reboot',
    '-kernel',
    options.kernel,
    '-gdb',
    `tcp:127.0.0.1:${port}`,
    '-S',
  ];
  const child = spawn(options.qemu ?? 'qemu-system-aarch64', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let serial = '';
  let stderr = '';
  child.stdout.setEncoding('latin1').on('data', (chunk: string) => (serial += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const failedToStart = new Promise<never>((_, reject) => {
    child.once('error', (error) => reject(new Error(`cannot start QEMU: ${error.message}`)));
    child.once('exit', (code) =>
      reject(new Error(`QEMU exited (${code}) before its gdb stub answered: ${stderr.trim()}`)),
    );
  });
  failedToStart.catch(() => undefined);
  let gdb: RspClient;
  try {
    gdb = await Promise.race([RspClient.connect('127.0.0.1', port), failedToStart]);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    gdb,
    serial: () => serial,
    waitForExit: (timeoutMs) =>
      Promise.race([
        exited(child).then(() => true),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref()),
      ]),
    async close() {
      gdb.kill();
      gdb.close();
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited(child);
    },
  };
}
