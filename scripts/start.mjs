#!/usr/bin/env node
// `npm start`: build, then open the Electron window where Electron's binary exists (fetching it on first start
// where the network allows), otherwise serve browser mode on 127.0.0.1 and print its URL.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const forceBrowser = process.argv.includes('--browser') || process.env.ORRERY_BROWSER === '1';
const require = createRequire(import.meta.url);

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options });
  return result.status === 0;
}

function electronBinary() {
  const pkgDir = dirname(require.resolve('electron/package.json'));
  if (!existsSync(join(pkgDir, 'path.txt'))) {
    process.stdout.write('Electron is installed without its binary; trying to fetch it once…\n');
    const fetched = run(process.execPath, [join(pkgDir, 'install.js')], { timeout: 90_000, stdio: 'ignore' });
    if (!fetched || !existsSync(join(pkgDir, 'path.txt'))) return null;
  }
  try {
    const binary = require('electron');
    return typeof binary === 'string' && existsSync(binary) ? binary : null;
  } catch {
    return null;
  }
}

function hasDisplay() {
  return process.platform !== 'linux' || Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
}

if (!run(process.execPath, [join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'])) {
  process.stderr.write('orrery: build failed\n');
  process.exit(1);
}

const binary = forceBrowser || !hasDisplay() ? null : electronBinary();
if (binary) {
  const child = spawn(binary, [root], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  if (!forceBrowser) process.stdout.write('No Electron window available here: starting browser mode.\n');
  const child = spawn(process.execPath, [join(root, 'out', 'main', 'browser.js')], { stdio: 'inherit' });
  const forward = (signal) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  child.on('exit', (code) => process.exit(code ?? 0));
}
