/**
 * A small client for the GDB Remote Serial Protocol, enough to drive QEMU's gdb stub one instruction at a
 * time: packets `$payload#checksum`, acknowledgements until no-ack mode is agreed, run-length decoding and
 * `}` escapes in replies, and the requests lockstep needs (g, p, m, s, k).
 *
 * Reference: GDB manual, appendix "Remote Serial Protocol" (Overview, Packets, Stop Reply Packets).
 */
import { connect, type Socket } from 'node:net';

export class RspError extends Error {
  override name = 'RspError';
}

/** Why the target stopped after a step or continue (stop reply packet). */
export type StopReply =
  | { readonly kind: 'signal'; readonly signal: number; readonly raw: string }
  | { readonly kind: 'exited'; readonly code: number; readonly raw: string }
  | { readonly kind: 'terminated'; readonly signal: number; readonly raw: string };

function checksum(payload: string): string {
  let sum = 0;
  for (let i = 0; i < payload.length; i++) sum = (sum + payload.charCodeAt(i)) & 0xff;
  return sum.toString(16).padStart(2, '0');
}

/** Expands run-length encoding (`X*n`: repeat X n-29 more times) and `}` escapes (next byte XOR 0x20). */
export function decodePayload(raw: string): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === '}' && i + 1 < raw.length) {
      out += String.fromCharCode(raw.charCodeAt(++i) ^ 0x20);
    } else if (c === '*' && out.length > 0 && i + 1 < raw.length) {
      out += out[out.length - 1].repeat(raw.charCodeAt(++i) - 29);
    } else {
      out += c;
    }
  }
  return out;
}

export function encodePacket(payload: string): string {
  return `$${payload}#${checksum(payload)}`;
}

export function parseStopReply(reply: string): StopReply {
  const code = parseInt(reply.slice(1, 3), 16);
  switch (reply[0]) {
    case 'S':
    case 'T':
      return { kind: 'signal', signal: code, raw: reply };
    case 'W':
      return { kind: 'exited', code, raw: reply };
    case 'X':
      return { kind: 'terminated', signal: code, raw: reply };
    default:
      throw new RspError(`unexpected stop reply '${reply}'`);
  }
}

export function hexToBytes(text: string): Uint8Array {
  if (text.length % 2 !== 0 || /[^0-9a-fA-F]/.test(text)) throw new RspError(`not hex data: '${text.slice(0, 40)}'`);
  const bytes = new Uint8Array(text.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

interface Waiter {
  resolve: (payload: string) => void;
  reject: (error: Error) => void;
}

/** One connection to a gdb stub. Requests are strictly sequential (one outstanding at a time). */
export class RspClient {
  private buffer = '';
  private acks = true;
  private waiter: Waiter | null = null;
  private closedError: Error | null = null;
  private lastPacket = '';

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      this.drain();
    });
    socket.on('error', (error) => this.fail(new RspError(`gdb stub connection: ${error.message}`)));
    socket.on('close', () => this.fail(new RspError('gdb stub closed the connection')));
  }

  /** Connects, retrying while the stub is not listening yet, then negotiates no-ack mode when offered. */
  static async connect(host: string, port: number, timeoutMs = 10_000): Promise<RspClient> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const socket = await openSocket(host, port);
        const client = new RspClient(socket);
        await client.negotiate();
        return client;
      } catch (error) {
        if (Date.now() > deadline) {
          throw new RspError(`cannot reach the gdb stub at ${host}:${port}: ${(error as Error).message}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  get closed(): boolean {
    return this.closedError !== null;
  }

  /** Sends one packet and resolves with the decoded payload of the reply. */
  request(payload: string): Promise<string> {
    if (this.closedError !== null) return Promise.reject(this.closedError);
    if (this.waiter !== null) return Promise.reject(new RspError('request while another is outstanding'));
    return new Promise<string>((resolve, reject) => {
      this.waiter = { resolve, reject };
      this.lastPacket = encodePacket(payload);
      this.socket.write(this.lastPacket);
    });
  }

  /** `g`: the registers of the g packet as raw target bytes. */
  async readRegisterBlock(): Promise<Uint8Array> {
    return hexToBytes(this.checkError(await this.request('g'), 'g'));
  }

  /** `p n`: one register as raw target bytes. */
  async readRegister(n: number): Promise<Uint8Array> {
    return hexToBytes(this.checkError(await this.request(`p${n.toString(16)}`), `p${n}`));
  }

  /** `m addr,len`: target memory. */
  async readMemory(address: number, length: number): Promise<Uint8Array> {
    const reply = await this.request(`m${address.toString(16)},${length.toString(16)}`);
    return hexToBytes(this.checkError(reply, 'm'));
  }

  /** `s`: single-steps the current thread. */
  async step(): Promise<StopReply> {
    try {
      return parseStopReply(await this.request('s'));
    } catch (error) {
      // QEMU exits (PSCI SYSTEM_OFF) without always sending W first.
      if (this.closed) return { kind: 'exited', code: 0, raw: '(connection closed)' };
      throw error;
    }
  }

  /** `k`: kills the target; the stub may close the connection without a reply. */
  kill(): void {
    if (this.closedError === null) this.socket.write(encodePacket('k'));
    this.socket.end();
  }

  close(): void {
    this.socket.destroy();
  }

  private async negotiate(): Promise<void> {
    const features = await this.request('qSupported:multiprocess-;swbreak+;hwbreak+;xmlRegisters=aarch64');
    if (features.split(';').includes('QStartNoAckMode+')) {
      if ((await this.request('QStartNoAckMode')) === 'OK') this.acks = false;
    }
    // QEMU answers `p` for registers beyond the core set only once the client has read the target
    // description; the text itself is not needed (the numbering is fixed, see registers.ts).
    await this.readFeatures('target.xml');
    // Stop reason of the halted target (-S): makes sure the stub is ready for register reads.
    await this.request('?');
  }

  /** qXfer:features:read of one annex, all chunks. */
  private async readFeatures(annex: string): Promise<string> {
    let text = '';
    for (;;) {
      const reply = await this.request(`qXfer:features:read:${annex}:${text.length.toString(16)},fff`);
      if (reply === '' || reply[0] === 'E') return text;
      text += reply.slice(1);
      if (reply[0] === 'l') return text;
    }
  }

  private checkError(reply: string, what: string): string {
    if (/^E[0-9a-fA-F]{2}$/.test(reply)) throw new RspError(`gdb stub refused '${what}': ${reply}`);
    return reply;
  }

  private drain(): void {
    for (;;) {
      const first = this.buffer[0];
      if (first === undefined) return;
      if (first === '+') {
        this.buffer = this.buffer.slice(1);
        continue;
      }
      if (first === '-') {
        this.buffer = this.buffer.slice(1);
        this.socket.write(this.lastPacket);
        continue;
      }
      if (first !== '$' && first !== '%') {
        this.buffer = this.buffer.slice(1);
        continue;
      }
      const hash = this.buffer.indexOf('#');
      if (hash < 0 || this.buffer.length < hash + 3) return;
      const raw = this.buffer.slice(1, hash);
      const sum = this.buffer.slice(hash + 1, hash + 3);
      this.buffer = this.buffer.slice(hash + 3);
      if (first === '%') continue; // asynchronous notification: not used
      if (this.acks) {
        if (sum.toLowerCase() !== checksum(raw)) {
          this.socket.write('-');
          continue;
        }
        this.socket.write('+');
      }
      const waiter = this.waiter;
      this.waiter = null;
      waiter?.resolve(decodePayload(raw));
    }
  }

  private fail(error: Error): void {
    if (this.closedError !== null) return;
    this.closedError = error;
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.reject(error);
  }
}

function openSocket(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.removeListener('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}
