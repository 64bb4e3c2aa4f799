/**
 * Hand-specialised closures for the byte forms that glibc's string functions run in their inner loops
 * (strlen, memchr, strchr, strcpy...): CMEQ/CMHS/CMHI/CMGT/CMGE on bytes (register and zero forms),
 * UMAXP/UMINP/ADDP on bytes and SHRN. The generic lane loops call a per-lane function; these inline it.
 * Each returns null when the form is not one it covers.
 */
import type { ExecFn } from '../encoding';
import { checkFpAccess } from '../exception-hooks';
import { scratch16 as sharedScratch16, scratch32 as sharedScratch32, toScratch } from './lanes';

// Module-local aliases: loops index these directly rather than through an import binding.
const scratch16 = sharedScratch16;
const scratch32 = sharedScratch32;

/** 0xff in each byte of x that is zero, else 0 (exact SWAR zero-byte test). */
function zeroBytes(x: number): number {
  const t = ((x & 0x7f7f7f7f) + 0x7f7f7f7f) | x;
  return Math.imul((~t & 0x80808080) >>> 7, 0xff);
}

/**
 * 0xff in each byte where a's byte >= b's (unsigned), else 0: the even and odd bytes are compared in
 * 16-bit lanes, where bias + a - b has bit 8 set exactly when a >= b for bias = 256 (GE), or when a > b for
 * bias = 255 (GT).
 */
function geBytes(a: number, b: number, bias: number): number {
  const even = ((a & 0x00ff00ff) + bias - (b & 0x00ff00ff)) & 0x01000100;
  const odd = (((a >>> 8) & 0x00ff00ff) + bias - ((b >>> 8) & 0x00ff00ff)) & 0x01000100;
  return Math.imul(even >>> 8, 0xff) | Math.imul(odd >>> 8, 0xff00);
}

const GE = 0x01000100;
const GT = 0x00ff00ff;
const SIGN_FLIP = 0x80808080 | 0;
/** Index = the closure's kind: 0 and 1 test equality, 2..5 order (4 and 5 signed). */
const COMPARE_KINDS = ['cmeq #0', 'cmeq', 'cmhs', 'cmhi', 'cmge', 'cmgt'];

/** Byte compares: 'cmeq' | 'cmhs' | 'cmhi' | 'cmgt' | 'cmge'; `zero` compares with #0 instead of Vm. */
export function fastByteCompare(
  name: string,
  bytes: number,
  d: number,
  n: number,
  m: number,
  zero: boolean,
): ExecFn | null {
  const words = bytes >> 2;
  const db = d * 4;
  const nb = n * 4;
  const mb = m * 4;
  const kind = COMPARE_KINDS.indexOf(zero ? `${name} #0` : name);
  if (kind < 0) return null;
  const flip = kind >= 4 ? SIGN_FLIP : 0;
  const bias = kind === 2 || kind === 4 ? GE : GT;
  return (cpu) => {
    checkFpAccess(cpu);
    const v = cpu.v32;
    for (let i = 0; i < words; i++) {
      const a = v[nb + i];
      if (kind === 0) v[db + i] = zeroBytes(a);
      else if (kind === 1) v[db + i] = zeroBytes(a ^ v[mb + i]);
      else v[db + i] = geBytes(a ^ flip, v[mb + i] ^ flip, bias);
    }
    if (words === 2) {
      v[db + 2] = 0;
      v[db + 3] = 0;
    }
  };
}

/** Bytes 0 and 2 of the 16-bit lanes of x, packed into the low 16 bits. */
const packEven = (x: number): number => (x & 0xff) | ((x >>> 8) & 0xff00);

/** UMAXP/UMINP/ADDP of the two byte pairs in word w, as two bytes in the low half. */
function pairBytes(w: number, kind: number): number {
  const lo = w & 0x00ff00ff;
  const hi = (w >>> 8) & 0x00ff00ff;
  if (kind === 2) return packEven(lo + hi);
  const ge = Math.imul(((lo + GE - hi) & 0x01000100) >>> 8, 0xff);
  return packEven(kind === 0 ? (lo & ge) | (hi & ~ge) : (hi & ge) | (lo & ~ge));
}

/** UMAXP/UMINP/ADDP on bytes: pairs of Vn then Vm (each `bytes` wide) into Vd. */
export function fastBytePairwise(name: string, bytes: number, d: number, n: number, m: number): ExecFn | null {
  const kind = name === 'umaxp' ? 0 : name === 'uminp' ? 1 : name === 'addp' ? 2 : -1;
  if (kind < 0) return null;
  const words = bytes >> 2;
  const db = d * 4;
  return (cpu) => {
    checkFpAccess(cpu);
    toScratch(cpu, n, 0, bytes);
    toScratch(cpu, m, bytes, bytes);
    const s = scratch32;
    const v = cpu.v32;
    for (let i = 0; i < words; i++) v[db + i] = pairBytes(s[2 * i], kind) | (pairBytes(s[2 * i + 1], kind) << 16);
    if (words === 2) {
      v[db + 2] = 0;
      v[db + 3] = 0;
    }
  };
}

/** SHRN/SHRN2 (no rounding): element e of Vd = (2e-bit element of Vn) >> shift. */
export function fastShiftRightNarrow(e: number, shift: number, q: number, d: number, n: number): ExecFn {
  const lanes = 64 / e;
  const first = q * lanes;
  return (cpu) => {
    checkFpAccess(cpu);
    toScratch(cpu, n, 0, 16);
    if (e === 8) {
      const v = cpu.v8;
      for (let i = 0; i < 8; i++) v[d * 16 + first + i] = scratch16[i] >>> shift;
    } else if (e === 16) {
      const v = cpu.v16;
      for (let i = 0; i < 4; i++) v[d * 8 + first + i] = scratch32[i] >>> shift;
    } else {
      const v = cpu.v32;
      for (let i = 0; i < 2; i++) {
        const lo = scratch32[2 * i];
        const hi = scratch32[2 * i + 1];
        v[d * 4 + first + i] = shift === 32 ? hi : (lo >>> shift) | (hi << (32 - shift));
      }
    }
    if (q === 0) {
      cpu.v32[d * 4 + 2] = 0;
      cpu.v32[d * 4 + 3] = 0;
    }
  };
}
