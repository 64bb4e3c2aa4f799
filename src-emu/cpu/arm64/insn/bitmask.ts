/**
 * DecodeBitMasks from the ARM ARM (logical immediates and bitfield moves), and MoveWidePreferred, which
 * decides whether objdump shows ORR-immediate as MOV. Decode-time only.
 */
import { rorHi, rorLo } from '../int64';

/** Low n bits set (0 <= n <= 32), as int32. */
function ones32(n: number): number {
  return n >= 32 ? -1 : (1 << n) - 1;
}

function highestSetBit(v: number): number {
  return 31 - Math.clz32(v);
}

/** Rotate right within an element of esize <= 32 bits. */
function rorElem(v: number, r: number, esize: number): number {
  if (r === 0) return v;
  const mask = ones32(esize);
  return ((v >>> r) | (v << (esize - r))) & mask;
}

/** Repeats the low esize bits across 32 bits. */
function replicate32(v: number, esize: number): number {
  let out = v;
  for (let size = esize; size < 32; size *= 2) out |= out << size;
  return out | 0;
}

/**
 * Writes [wmask lo, wmask hi, tmask lo, tmask hi] to out and returns true, or returns false for a reserved
 * encoding. `immediate` is true for logical immediates (where an all-ones element is reserved).
 */
export function decodeBitMasks(immN: number, imms: number, immr: number, immediate: boolean, out: Int32Array): boolean {
  const len = highestSetBit((immN << 6) | (~imms & 0x3f));
  if (len < 1) return false;
  const levels = (1 << len) - 1;
  if (immediate && (imms & levels) === levels) return false;
  const s = imms & levels;
  const r = immr & levels;
  const d = (s - r) & levels;
  const esize = 1 << len;
  if (esize === 64) {
    const wLo = ones32(Math.min(s + 1, 32));
    const wHi = s + 1 > 32 ? ones32(s + 1 - 32) : 0;
    out[0] = rorLo(wLo, wHi, r);
    out[1] = rorHi(wLo, wHi, r);
    out[2] = ones32(Math.min(d + 1, 32));
    out[3] = d + 1 > 32 ? ones32(d + 1 - 32) : 0;
    return true;
  }
  const w = replicate32(rorElem(ones32(s + 1), r, esize), esize);
  const t = replicate32(ones32(d + 1), esize);
  out[0] = out[1] = w;
  out[2] = out[3] = t;
  return true;
}

/** MoveWidePreferred (ARM ARM): true when MOVZ/MOVN can express the ORR immediate. */
export function moveWidePreferred(sf: number, immN: number, imms: number, immr: number): boolean {
  const width = sf === 1 ? 64 : 32;
  if (sf === 1 && immN !== 1) return false;
  if (sf === 0 && (immN !== 0 || (imms & 0x20) !== 0)) return false;
  if (imms < 16) return (-immr & 15) <= 15 - imms;
  if (imms >= width - 15) return immr % 16 <= imms - (width - 15);
  return false;
}
