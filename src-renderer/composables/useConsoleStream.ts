/**
 * One console of a VM (its serial port, or a virtio console port such as hvc0) as a stream the UI can show: attaching replays the scrollback main keeps (so a
 * reload or a view switch loses nothing), then live chunks follow, lined up by stream position so nothing
 * is shown twice or skipped. Input is queued and sent one chunk at a time; each chunk waits until the guest
 * has taken the previous one, so a large paste is paced by the guest's own reading.
 */
import { onBeforeUnmount, ref } from 'vue';
import { CONSOLE_INPUT_CHUNK } from '../../src-shared/api/contract';
import { base64ToBytes, bytesToBase64 } from '../../src-shared/api/bytes';
import { SERIAL_CONSOLE } from '../../src-shared/api/vm-config';
import { api, events } from '../api/client';

export interface ConsoleSink {
  write(bytes: Uint8Array): void;
}

export function useConsoleStream(vmId: string, sink: ConsoleSink, consoleId = SERIAL_CONSOLE) {
  /** Stream position just past what the sink has shown; -1 until attached. */
  let position = -1;
  const early: { offset: number; bytes: Uint8Array }[] = [];
  const queue: Uint8Array[] = [];
  let sending = false;
  const attached = ref(false);
  /** Input bytes typed or pasted that the guest has not taken yet. */
  const pendingInput = ref(0);
  const inputError = ref<string | null>(null);

  function show(offset: number, bytes: Uint8Array): void {
    const skip = Math.max(0, position - offset);
    if (skip >= bytes.length) return;
    sink.write(skip === 0 ? bytes : bytes.subarray(skip));
    position = offset + bytes.length;
  }

  const stopEvents = events.on('console.output', (chunk) => {
    if (chunk.id !== vmId || chunk.console !== consoleId) return;
    const bytes = base64ToBytes(chunk.data);
    if (position < 0) early.push({ offset: chunk.offset, bytes });
    else show(chunk.offset, bytes);
  });

  async function attach(): Promise<void> {
    const snapshot = await api['console.attach'](vmId, consoleId);
    position = snapshot.start;
    show(snapshot.start, base64ToBytes(snapshot.data));
    position = Math.max(position, snapshot.end);
    for (const chunk of early.splice(0)) show(chunk.offset, chunk.bytes);
    attached.value = true;
  }

  function send(text: string): void {
    const bytes = new TextEncoder().encode(text);
    for (let at = 0; at < bytes.length; at += CONSOLE_INPUT_CHUNK) {
      queue.push(bytes.subarray(at, at + CONSOLE_INPUT_CHUNK));
    }
    pendingInput.value += bytes.length;
    void pump();
  }

  async function pump(): Promise<void> {
    if (sending) return;
    sending = true;
    try {
      for (let chunk = queue.shift(); chunk; chunk = queue.shift()) {
        try {
          await api['console.input'](vmId, bytesToBase64(chunk), consoleId);
          inputError.value = null;
        } catch (e) {
          // The VM is not running: what is still queued has nowhere to go.
          inputError.value = e instanceof Error ? e.message : String(e);
          queue.length = 0;
        }
        pendingInput.value = queue.reduce((sum, c) => sum + c.length, 0);
      }
    } finally {
      sending = false;
    }
  }

  async function clear(): Promise<void> {
    await api['console.clear'](vmId, consoleId);
  }

  /** A break on the console's line (Linux: SysRq on its serial console; the next key is the command). */
  async function sendBreak(): Promise<void> {
    await api['console.break'](vmId, consoleId);
  }

  onBeforeUnmount(() => {
    stopEvents();
    void api['console.detach'](vmId, consoleId).catch(() => undefined);
  });

  return { attach, send, clear, sendBreak, attached, pendingInput, inputError };
}
