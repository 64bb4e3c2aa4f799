/**
 * CRC32 (polynomial 0x04C11DB7) and CRC32C (0x1EDC6F41) accumulation as the A64 CRC32* instructions
 * define it: bit-reflected, no initial or final inversion, data consumed least significant byte first.
 */

function reflectedTable(poly: number): Int32Array {
  const table = new Int32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    table[i] = c;
  }
  return table;
}

const CRC32_TABLE = reflectedTable(0xedb88320);
const CRC32C_TABLE = reflectedTable(0x82f63b78);

/** Folds `size` bytes (1, 2, 4 or 8) of the value lo/hi into acc. */
export function crc32Update(castagnoli: boolean, acc: number, lo: number, hi: number, size: number): number {
  const table = castagnoli ? CRC32C_TABLE : CRC32_TABLE;
  let crc = acc;
  for (let i = 0; i < size; i++) {
    const byte = i < 4 ? lo >>> (8 * i) : hi >>> (8 * (i - 4));
    crc = table[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  }
  return crc | 0;
}
