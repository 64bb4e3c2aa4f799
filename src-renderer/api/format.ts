/** Number formatting shared by the inspector views. */

export function hex(value: number, digits = 8): string {
  return `0x${(value >>> 0).toString(16).padStart(digits, '0')}`;
}

/** A 16-digit hex string as 0x0000_0000_4000_0000-style groups are hard to type: shown as 0x0000000040000000. */
export function hex64(text: string): string {
  return `0x${text}`;
}

/** Shortest readable form of a 16-digit hex string: 0x40000000 rather than 0x0000000040000000. */
export function shortHex(text: string): string {
  return `0x${text.replace(/^0+(?=[0-9a-f]{8})/, '')}`;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** 1234567 -> "1.23 M" (for instruction counts and rates). */
export function compact(value: number): string {
  if (value >= 1e9) return `${(value / 1e9).toFixed(2)} G`;
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)} M`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)} k`;
  return value.toFixed(0);
}

/** Virtual time in ns as seconds with 6 decimals. */
export function seconds(ns: number): string {
  return (ns / 1e9).toFixed(6);
}
