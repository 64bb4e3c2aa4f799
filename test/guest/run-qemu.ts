/** Runs one test program on QEMU's virt board (the reference machine) and returns its serial output. */
import { spawn } from 'node:child_process';
import { programPath, type GuestProgram } from './programs';

export interface QemuRun {
  readonly output: string;
  readonly exitCode: number | null;
  readonly timedOut: boolean;
}

export function runOnQemu(program: GuestProgram, qemu = 'qemu-system-aarch64', timeoutMs = 30_000): Promise<QemuRun> {
  const args = ['-M', 'virt', '-cpu', 'cortex-a57', '-smp', String(program.cpus), '-m', '128'];
  args.push('-nographic', '-no-reboot', '-kernel', programPath(program));
  return new Promise((resolve, reject) => {
    const child = spawn(qemu, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let timedOut = false;
    child.stdout.setEncoding('latin1').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ output, exitCode: code, timedOut });
    });
  });
}
