/**
 * External reference tools (QEMU, binutils, dtc, gdb) for tests. A missing tool fails the test in CI (CI is
 * set) so that a reference check can never silently pass by not running; on a developer machine the message
 * says how to install it.
 */
import { execFileSync } from 'node:child_process';

export function haveTool(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function requireTool(name: string): string {
  if (!haveTool(name)) {
    throw new Error(`${name} is not installed: run 'npm run setup:test' (installs the Debian packages tests use)`);
  }
  return name;
}
