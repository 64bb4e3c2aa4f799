/** Operand text of AdvSIMD instructions as binutils prints it. */
import { bits } from '../insn/fields';

/** Arrangement for element size index (0 = 8 bits .. 3 = 64 bits) and Q. */
export function arrangement(size: number, q: number): string {
  return ['8b', '16b', '4h', '8h', '2s', '4s', '1d', '2d'][size * 2 + q];
}

/** `v3.16b`. */
export const vec = (r: number, size: number, q: number): string => `v${r}.${arrangement(size, q)}`;

/** Scalar register of element size index: b0, h0, s0, d0 (4: q0). */
export const scalar = (r: number, size: number): string => `${'bhsdq'[size]}${r}`;

/** `v3.s[1]`. */
export const element = (r: number, size: number, index: number): string => `v${r}.${'bhsd'[size]}[${index}]`;

/**
 * A register list: `{v0.16b, v1.16b}`, or `{v0.16b-v3.16b}` for three or four registers that do not wrap
 * past v31, as objdump prints them.
 */
export function registerList(first: number, count: number, suffix: string): string {
  if (count >= 3 && first + count - 1 <= 31) return `{v${first}.${suffix}-v${first + count - 1}.${suffix}}`;
  const regs: string[] = [];
  for (let i = 0; i < count; i++) regs.push(`v${(first + i) % 32}.${suffix}`);
  return `{${regs.join(', ')}}`;
}

/** Q (bit 30) and size (bits 23..22). */
export const qBit = (w: number): number => bits(w, 30, 1);
export const sizeField = (w: number): number => bits(w, 22, 2);

/** A bit-pattern string of `width` bits for value v (building entry patterns from tables). */
export function bitString(v: number, width: number): string {
  return v.toString(2).padStart(width, '0');
}
