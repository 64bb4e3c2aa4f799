/**
 * The monitor's `x/FMT ADDR` and `xp/FMT ADDR` (QEMU HMP): FMT is an optional count, a format letter
 * (x hex, d signed, u unsigned, o octal, c char, i instruction) and a size letter (b, h, w, g).
 */
import { disassemble } from '../../cpu/arm64/decoder';

export interface DumpFormat {
  readonly count: number;
  readonly format: 'x' | 'd' | 'u' | 'o' | 'c' | 'i';
  readonly size: 1 | 2 | 4 | 8;
}

const SIZES: Record<string, 1 | 2 | 4 | 8> = { b: 1, h: 2, w: 4, g: 8 };

/** Parses `10x`, `4i`, `2xg`, `` (QEMU's default 1xw); null if malformed. */
export function parseDumpFormat(text: string): DumpFormat | null {
  const match = /^(\d*)([xduoci]?)([bhwg]?)$/.exec(text);
  if (!match) return null;
  const format = (match[2] || 'x') as DumpFormat['format'];
  const size = format === 'i' ? 4 : format === 'c' && !match[3] ? 1 : (SIZES[match[3] || 'w'] ?? 4);
  return { count: match[1] ? Number(match[1]) : 1, format, size };
}

function readLe(bytes: Uint8Array, at: number, size: number): bigint {
  let value = 0n;
  for (let i = size - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[at + i]!);
  return value;
}

function formatUnit(value: bigint, fmt: DumpFormat): string {
  const bits = BigInt(fmt.size * 8);
  switch (fmt.format) {
    case 'd':
      return String(BigInt.asIntN(Number(bits), value));
    case 'u':
      return String(value);
    case 'o':
      return '0' + value.toString(8);
    case 'c':
      return value >= 0x20n && value < 0x7fn ? `'${String.fromCharCode(Number(value))}'` : `'\\x${value.toString(16)}'`;
    default:
      return '0x' + value.toString(16).padStart(fmt.size * 2, '0');
  }
}

/** Lines of a dump of `bytes` read at `address` (fmt.count units). */
export function formatDump(address: bigint, bytes: Uint8Array, fmt: DumpFormat): string {
  const lines: string[] = [];
  if (fmt.format === 'i') {
    for (let at = 0; at + 4 <= bytes.length; at += 4) {
      const pc = address + BigInt(at);
      const word = Number(readLe(bytes, at, 4));
      const text = disassemble(word | 0, Number(pc & 0xffffffffn) | 0, Number(pc >> 32n) | 0);
      lines.push(`0x${pc.toString(16).padStart(16, '0')}:  ${word.toString(16).padStart(8, '0')}      ${text}`);
    }
    return lines.join('\n') + '\n';
  }
  const perLine = Math.max(1, 16 / fmt.size);
  for (let unit = 0; unit < fmt.count; unit += perLine) {
    const at = address + BigInt(unit * fmt.size);
    const cells: string[] = [];
    for (let k = unit; k < Math.min(fmt.count, unit + perLine); k++) {
      cells.push(formatUnit(readLe(bytes, k * fmt.size, fmt.size), fmt));
    }
    lines.push(`${at.toString(16).padStart(16, '0')}: ${cells.join(' ')}`);
  }
  return lines.join('\n') + '\n';
}
