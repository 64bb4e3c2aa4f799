/**
 * The HPET main counter: 100 MHz, derived from virtual time while enabled, latched while halted.
 *
 * While running, counter(now) = base + floor((now - baseNs) / 10) with 64-bit wrap-around: the same value
 * as QEMU's (now + offset) / 10 with offset = base * 10 - baseNs, kept exact for every 64-bit base (the
 * offset form overflows once base * 10 passes 2^64). `offsetNs` and `restoreFromOffset` convert to and
 * from that offset, which is what migration carries.
 */
import { NS_PER_TICK } from './registers';
import { U64 } from './uint64';

const TWO_64 = 1n << 64n;

export class HpetCounter {
  running = false;
  /** The counter value while halted; its value at `baseNs` while running. */
  readonly base = new U64();
  /** Virtual ns at which the running counter had the value `base` (may be below 0 after a restore). */
  baseNs = 0;

  /** Writes the counter value at `now` into `out`. */
  read(now: number, out: U64): U64 {
    out.copy(this.base);
    if (this.running) out.addNumber(Math.floor((now - this.baseNs) / NS_PER_TICK));
    return out;
  }

  /** Starts counting from the latched value (GEN_CONF.ENABLE_CNF 0 -> 1). */
  start(now: number): void {
    if (this.running) return;
    this.running = true;
    this.baseNs = now;
  }

  /** Halts, latching the current value (GEN_CONF.ENABLE_CNF 1 -> 0). */
  stop(now: number): void {
    if (!this.running) return;
    this.read(now, this.base);
    this.running = false;
  }

  /** Sets one half of the latched value; the caller allows this only while halted. */
  writeHalf(high: boolean, value: number): void {
    this.base.setHalf(high, value);
  }

  reset(): void {
    this.running = false;
    this.base.set(0, 0);
    this.baseNs = 0;
  }

  /** Virtual ns at which the counter will have advanced `ticks` ticks past its value at `now`. */
  deadlineAfter(now: number, ticks: number): number {
    if (!this.running) return -1;
    const intoTick = (now - this.baseNs) % NS_PER_TICK;
    return now - intoTick + ticks * NS_PER_TICK;
  }

  /** QEMU's hpet_offset: ns to add to virtual time so that (time + offset) / 10 is the counter (mod 2^64). */
  offsetNs(): bigint {
    return BigInt.asUintN(64, this.base.toBigInt() * BigInt(NS_PER_TICK) - BigInt(this.baseNs));
  }

  /** Resumes counting at `now` from a migrated offset, keeping the phase within the current tick. */
  restoreFromOffset(now: number, offset: bigint): void {
    const sinceZero = (BigInt(now) + offset) % TWO_64;
    const tick = BigInt(NS_PER_TICK);
    this.base.setBigInt(sinceZero / tick);
    this.baseNs = now - Number(sinceZero % tick);
    this.running = true;
  }
}
