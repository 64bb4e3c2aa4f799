/**
 * GDB Remote Serial Protocol framing (GDB manual, appendix E "Remote Serial Protocol", Overview):
 * `$payload#cc` where cc is the modulo-256 sum of the payload bytes in two hex digits, `+`/`-`
 * acknowledgements until no-ack mode, a bare 0x03 byte to interrupt a running target, and `}` escapes
 * (next byte XOR 0x20) for `#`, `$`, `}` and `*` inside binary payloads.
 */

export interface PacketHandlers {
  packet(payload: string): void;
  /** 0x03 outside a packet (Ctrl-C). */
  interrupt(): void;
  /** `-`: the peer wants the last packet again. */
  nak(): void;
  /** A packet whose checksum did not match (answer with `-`). */
  corrupt(): void;
}

export function checksum(payload: string): number {
  let sum = 0;
  for (let i = 0; i < payload.length; i++) sum = (sum + payload.charCodeAt(i)) & 0xff;
  return sum;
}

/** Escapes the four reserved characters of binary data. */
export function escapeBinary(data: string): string {
  return data.replace(/[#$}*]/g, (c) => '}' + String.fromCharCode(c.charCodeAt(0) ^ 0x20));
}

export function framePacket(payload: string): string {
  return `$${payload}#${checksum(payload).toString(16).padStart(2, '0')}`;
}

/** Splits a byte stream (latin1 text) into packets, acknowledgements and interrupts. */
export class PacketReader {
  private buffer = '';

  constructor(private readonly handlers: PacketHandlers) {}

  push(chunk: string): void {
    this.buffer += chunk;
    for (;;) {
      const b = this.buffer;
      if (b.length === 0) return;
      const c = b[0]!;
      if (c !== '$') {
        this.buffer = b.slice(1);
        if (c === '\x03') this.handlers.interrupt();
        else if (c === '-') this.handlers.nak();
        continue; // '+' and noise between packets
      }
      const hash = b.indexOf('#');
      if (hash < 0 || b.length < hash + 3) return;
      const payload = b.slice(1, hash);
      const sent = parseInt(b.slice(hash + 1, hash + 3), 16);
      this.buffer = b.slice(hash + 3);
      if (sent === checksum(payload)) this.handlers.packet(unescape(payload));
      else this.handlers.corrupt();
    }
  }
}

function unescape(payload: string): string {
  if (!payload.includes('}')) return payload;
  let out = '';
  for (let i = 0; i < payload.length; i++) {
    const c = payload[i]!;
    if (c === '}' && i + 1 < payload.length) out += String.fromCharCode(payload.charCodeAt(++i) ^ 0x20);
    else out += c;
  }
  return out;
}

export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

/** Hex digits to bytes; null if malformed. */
export function fromHex(text: string): Uint8Array | null {
  if (text.length % 2 !== 0 || /[^0-9a-fA-F]/.test(text)) return null;
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function textToHex(text: string): string {
  return toHex(new TextEncoder().encode(text));
}

export function hexToText(hex: string): string | null {
  const bytes = fromHex(hex);
  return bytes === null ? null : new TextDecoder().decode(bytes);
}

/** A hex number of up to 64 bits; null if malformed. */
export function parseHexAddress(text: string): bigint | null {
  if (!/^[0-9a-fA-F]{1,16}$/.test(text)) return null;
  return BigInt('0x' + text);
}
