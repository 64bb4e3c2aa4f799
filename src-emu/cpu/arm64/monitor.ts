/**
 * Local exclusive monitor for LDXR/STXR and friends.
 *
 * Besides the architectural address check, a store-exclusive also requires memory to still hold the value
 * the load-exclusive read (QEMU's approach): vCPUs run round-robin in one thread, so another vCPU's store
 * to the location between the pair shows up as a changed value. CLREX, exception entry and ERET call
 * `clear()`.
 */
export class ExclusiveMonitor {
  /** 0 = open (no reservation). */
  armed = 0;
  addrLo = 0;
  addrHi = 0;
  /** Access size in bytes (for pairs, the total). */
  size = 0;
  /** The values loaded: first register in valLo/valHi, second (pairs) in val2Lo/val2Hi. */
  valLo = 0;
  valHi = 0;
  val2Lo = 0;
  val2Hi = 0;

  arm(addrLo: number, addrHi: number, size: number): void {
    this.armed = 1;
    this.addrLo = addrLo;
    this.addrHi = addrHi;
    this.size = size;
  }

  /** True when a store-exclusive of `size` bytes at the address may proceed (value check is the caller's). */
  matches(addrLo: number, addrHi: number, size: number): boolean {
    return this.armed !== 0 && this.addrLo === addrLo && this.addrHi === addrHi && this.size === size;
  }

  clear(): void {
    this.armed = 0;
  }
}
