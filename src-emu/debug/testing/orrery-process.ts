/**
 * Test helpers: `orrery run` as a child process (the CLI exactly as a user starts it) with its debug
 * ports read from stderr, and gdb-multiarch in batch mode against it.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const ORRERY = join(import.meta.dirname, '..', '..', '..', 'bin', 'orrery.mjs');

export interface OrreryProcess {
  readonly child: ChildProcess;
  /** Everything written to stdout so far (the serial line when -serial stdio). */
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `pattern` in stdout + stderr (waits for it). */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray>;
  /** Resolves with the exit code (null when killed). */
  exited(): Promise<number | null>;
  kill(): void;
}

export function startOrrery(args: readonly string[]): OrreryProcess {
  const child = spawn(process.execPath, [ORRERY, 'run', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const waiter of [...waiters]) waiter();
  };
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString('latin1');
    notify();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    err += chunk.toString('latin1');
    notify();
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    waitFor(pattern, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(out + err);
          if (!match) return;
          cleanup();
          resolve(match);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new Error(`timed out waiting for ${pattern}; stderr:\n${err.slice(-2000)}\nstdout:\n${out.slice(-2000)}`),
          );
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    exited: () => exit,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/** The gdb stub's port, from the line `orrery run` prints when it listens. */
export async function gdbPortOf(orrery: OrreryProcess): Promise<number> {
  const match = await orrery.waitFor(/gdb stub on tcp [^:\s]*:(\d+)/, 20_000);
  return Number(match[1]);
}

export async function monitorPortOf(orrery: OrreryProcess): Promise<number> {
  const match = await orrery.waitFor(/monitor on tcp [^:\s]*:(\d+)/, 20_000);
  return Number(match[1]);
}

/** Runs gdb-multiarch in batch mode with `-ex` commands; resolves with its output (stdout + stderr). */
export function runGdbBatch(gdb: string, commands: readonly string[], timeoutMs = 60_000): Promise<string> {
  const args = ['-batch', '-nx', '-ex', 'set architecture aarch64', '-ex', 'set pagination off'];
  for (const command of commands) args.push('-ex', command);
  return new Promise((resolve, reject) => {
    execFile(gdb, args, { timeout: timeoutMs, maxBuffer: 1 << 24 }, (error, stdout, stderr) => {
      const output = stdout + stderr;
      if (error && error.killed) reject(new Error(`gdb timed out; output:\n${output}`));
      else resolve(output);
    });
  });
}
