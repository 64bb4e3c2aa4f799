#!/usr/bin/env node
// The `orrery` command: runs the TypeScript sources directly through tsx's loader.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src-emu/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
