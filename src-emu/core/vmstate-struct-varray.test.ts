/** structVarArrayOf: an array of structs whose count is an earlier field (QEMU's VMSTATE_STRUCT_VARRAY_UINT8). */
import { describe, expect, it } from 'vitest';
import {
  buffer,
  describe as describeState,
  entry,
  loadMachine,
  saveMachine,
  structVarArrayOf,
  u8,
  u16,
  vmstate,
} from './vmstate';
import { VMStateError } from './vmstate';

interface Slot {
  value: number;
}
const SLOT = vmstate<Slot>('slot', { version: 1, fields: [u16('value')] });

class Bank {
  count: number;
  readonly slots: Slot[];
  constructor(size: number, count = size) {
    this.slots = Array.from({ length: size }, (_, i) => ({ value: 0x100 + i }));
    this.count = count;
  }
}

function bankDescription(size: number) {
  return vmstate<Bank>('bank', {
    version: 2,
    minimumVersion: 1,
    fields: [u8('count', { since: 2 }), structVarArrayOf('slots', SLOT, 'count', { absentLength: 2 })],
    validate: (loaded) => {
      const count = loaded.count ?? 2;
      if (count !== size) return `the stream has ${count} slots, this bank has ${size}`;
    },
  });
}

/** The same layout without a validate hook: only the storage bounds the count. */
const LOOSE = vmstate<Bank>('bank', {
  version: 2,
  fields: [u8('count'), structVarArrayOf('slots', SLOT, 'count')],
});

const streamOf = (bytes: Uint8Array): number[] => Array.from(bytes);

describe('structVarArrayOf', () => {
  it('writes the count, then exactly that many structs (big-endian, like every field)', () => {
    const bank = new Bank(3, 2);
    bank.slots[0].value = 0xabcd;
    const bytes = saveMachine([entry(LOOSE, bank)]);
    const name = [...'bank'].map((c) => c.charCodeAt(0));
    // magic 'ORVM', format 1; section: type 4, id 1, name, instance 0, version 2; fields; footer 0x7e id 1; EOF.
    expect(streamOf(bytes)).toEqual([
      0x4f, 0x52, 0x56, 0x4d, 0, 0, 0, 1,
      4, 0, 0, 0, 1, 4, ...name, 0, 0, 0, 0, 0, 0, 0, 2,
      2, 0xab, 0xcd, 0x01, 0x01,
      0x7e, 0, 0, 0, 1, 0x1f,
    ]); // prettier-ignore
  });

  it('restores the streamed structs into the existing elements and leaves the rest alone', () => {
    const source = new Bank(4, 2);
    source.slots[0].value = 7;
    source.slots[1].value = 8;
    const target = new Bank(4, 4);
    const elements = [...target.slots];
    loadMachine(saveMachine([entry(LOOSE, source)]), [entry(LOOSE, target)]);
    expect(target.count).toBe(2);
    expect(target.slots.map((s) => s.value)).toEqual([7, 8, 0x102, 0x103]);
    expect(target.slots.every((s, i) => s === elements[i])).toBe(true);
  });

  it("lets validate refuse another count in the device's own terms, before anything is applied", () => {
    const source = new Bank(4);
    const target = new Bank(3);
    target.slots[0].value = 99;
    const bytes = saveMachine([entry(bankDescription(4), source)]);
    expect(() => loadMachine(bytes, [entry(bankDescription(3), target)])).toThrow(
      "section 'bank' instance 0: the stream has 4 slots, this bank has 3",
    );
    expect(target.slots[0].value).toBe(99);
    expect(target.count).toBe(3);
  });

  it('refuses more structs than the object holds when nothing else checks the count', () => {
    const target = new Bank(2);
    const bytes = saveMachine([entry(LOOSE, new Bank(3))]);
    expect(() => loadMachine(bytes, [entry(LOOSE, target)])).toThrow('slots: 3 structs do not fit in 2');
    expect(target.slots.map((s) => s.value)).toEqual([0x100, 0x101]);
  });

  it('takes absentLength for stream versions older than the count field', () => {
    // A version 1 stream: no count byte, two slots.
    const name = [...'bank'].map((c) => c.charCodeAt(0));
    const v1 = new Uint8Array([
      0x4f, 0x52, 0x56, 0x4d, 0, 0, 0, 1,
      4, 0, 0, 0, 1, 4, ...name, 0, 0, 0, 0, 0, 0, 0, 1,
      0x12, 0x34, 0x56, 0x78,
      0x7e, 0, 0, 0, 1, 0x1f,
    ]); // prettier-ignore
    const target = new Bank(2);
    loadMachine(v1, [entry(bankDescription(2), target)]);
    expect(target.slots.map((s) => s.value)).toEqual([0x1234, 0x5678]);
  });

  it('a count larger than the bytes left is a truncated stream, not a host error', () => {
    const bytes = saveMachine([entry(LOOSE, new Bank(1))]);
    const countAt = bytes.length - 1 - 5 - 2 - 1; // EOF, footer, one slot, then the count byte
    bytes[countAt] = 200;
    expect(() => loadMachine(bytes, [entry(LOOSE, new Bank(1))])).toThrow(VMStateError);
    expect(() => loadMachine(bytes, [entry(LOOSE, new Bank(1))])).toThrow(/field 'slots': truncated stream/);
  });

  it('shows the streamed count in the inspector view', () => {
    const view = describeState(LOOSE, new Bank(3, 2));
    expect(view[1].type).toBe('struct slot[2]');
    expect(view[1].children?.map((c) => c.name)).toEqual(['[0]', '[1]']);
  });

  it('needs its count field earlier in the list', () => {
    expect(() =>
      vmstate<Bank>('bad', { version: 1, fields: [structVarArrayOf('slots', SLOT, 'count'), u8('count')] }),
    ).toThrow("vmstate 'bad': 'slots' needs its length field 'count' earlier in the list");
  });
});

describe('buffer fields larger than the stream writer', () => {
  it('round-trip when writing them grows the stream (the writer must copy into the grown storage)', () => {
    interface Blob {
      head: number;
      data: Uint8Array;
    }
    const desc = vmstate<Blob>('blob', { version: 1, fields: [u16('head'), buffer('data', 1000)] });
    const source: Blob = { head: 0x1234, data: Uint8Array.from({ length: 1000 }, (_, i) => (i * 37) & 0xff) };
    const target: Blob = { head: 0, data: new Uint8Array(1000) };
    loadMachine(saveMachine([entry(desc, source)]), [entry(desc, target)]);
    expect(target).toEqual(source);
  });
});
