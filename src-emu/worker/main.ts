/**
 * Entry point of a VM worker thread: one machine per worker. Commands arrive on parentPort and reports go
 * back on it (protocol.ts); console chunks are transferred, not copied.
 */
import { parentPort } from 'node:worker_threads';
import { VmRunner } from './vm-runner';

const port = parentPort;
if (port === null) throw new Error('src-emu/worker/main.ts must run as a worker thread');

const runner = new VmRunner((report) => {
  if (report.type === 'console-output') port.postMessage(report, [report.bytes.buffer as ArrayBuffer]);
  else port.postMessage(report);
});

port.on('message', (message: unknown) => {
  void runner.handle(message);
});
