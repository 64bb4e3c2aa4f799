/**
 * Drives a machine's serial console the way a person would: wait for a prompt, type a command, collect what
 * it prints up to the next prompt. Works for any process with serial on stdio (QEMU -nographic, orrery run).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

export interface SessionResult {
  /** Output of each command (the echoed command line and the prompt removed). */
  readonly outputs: string[];
  readonly exitCode: number | null;
  readonly transcript: string;
}

export interface SessionOptions {
  readonly command: string;
  readonly args: readonly string[];
  /** Text that ends every prompt, e.g. '# ' for busybox root shells. */
  readonly prompt: RegExp;
  readonly commands: readonly string[];
  /** Typed after the last command; the process is expected to exit by itself. */
  readonly finalCommand?: string;
  readonly timeoutMs: number;
}

// Terminal control sequences (e.g. the cursor position queries interactive shells print).
const CSI_SEQUENCE = new RegExp(String.fromCharCode(27) + '\\[[0-9;?]*[a-zA-Z]', 'g');
const stripControl = (text: string): string => text.replace(CSI_SEQUENCE, '').replace(/\r/g, '');

export function runSerialSession(options: SessionOptions): Promise<SessionResult> {
  return new Promise((resolve, reject) => {
    const child: ChildProcessWithoutNullStreams = spawn(options.command, [...options.args], { stdio: 'pipe' });
    let transcript = '';
    let consumed = 0;
    let step = 0;
    const outputs: string[] = [];
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`serial session timed out at step ${step}; transcript:\n${stripControl(transcript).slice(-3000)}`),
      );
    }, options.timeoutMs);

    const advance = (): void => {
      const clean = stripControl(transcript);
      const rest = clean.slice(consumed);
      const match = options.prompt.exec(rest);
      if (!match) return;
      if (step > 0) {
        const body = rest.slice(0, match.index);
        const lines = body.split('\n');
        outputs.push(lines.slice(1, -1).join('\n')); // drop the echoed command and the prompt line's start
      }
      consumed += match.index + match[0].length;
      if (step < options.commands.length) child.stdin.write(options.commands[step]! + '\n');
      else if (options.finalCommand) child.stdin.write(options.finalCommand + '\n');
      else child.stdin.end();
      step++;
      if (step <= options.commands.length) advance();
    };

    child.stdout.on('data', (chunk: Buffer) => {
      transcript += chunk.toString('latin1');
      advance();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      transcript += chunk.toString('latin1');
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ outputs, exitCode: code, transcript: stripControl(transcript) });
    });
  });
}
