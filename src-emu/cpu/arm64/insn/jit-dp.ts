/**
 * Compiled-block templates for data processing (immediate and register): the same semantics as the closures
 * of dp-imm.ts, dp-reg.ts, bitfield.ts and dp-reg-misc.ts, with every field a constant in the source.
 */
import type { JitCode, JitTemplate } from '../encoding';
import { JitKind } from '../encoding';
import { shlHi, shlLo } from '../int64';
import { decodeBitMasks } from './bitmask';
import { bits, ra, rd, readSlot, rm, rn, signExtend, writeSlot } from './fields';
import { add32, add64, code, condExpr, condFlags, extended, FLAG_C, logicFlags, shift32, shift64 } from './jit-util';

const plain = (src: string): JitCode => code(JitKind.Plain, src);
/** An ALU instruction that reads the flags in `reads` and, with `sets`, writes NZCV. */
const alu = (src: string, reads: number, sets: boolean): JitCode => ({
  kind: JitKind.Plain,
  src,
  reads,
  setsFlags: sets,
});
const wide = (w: number): boolean => w >>> 31 === 1;

// --- immediate -----------------------------------------------------------------------------------------

const adr: JitTemplate = (w, offset) => {
  const d = writeSlot(rd(w));
  const page = w >>> 31 === 1;
  const imm = signExtend((bits(w, 5, 19) << 2) | bits(w, 29, 2), 21) * (page ? 4096 : 1);
  const base = page ? 'b' : `(b | ${offset})`;
  const offLo = imm | 0;
  const offHi = Math.floor(imm / 0x1_0000_0000) | 0;
  return plain(`{ const s = (${base} >>> 0) + ${offLo >>> 0}; x[${d}] = s | 0;
x[${d + 1}] = (cpu.pcHi + ${offHi} + (s > 0xffffffff ? 1 : 0)) | 0; }`);
};

const addSubImm: JitTemplate = (w, _offset, live) => {
  const sub = bits(w, 30, 1) === 1;
  const flags = bits(w, 29, 1) === 1;
  const n = readSlot(rn(w), true);
  const d = writeSlot(rd(w), !flags);
  const imm = bits(w, 10, 12) * (bits(w, 22, 1) === 1 ? 4096 : 1);
  const bLo = String(sub ? ~imm : imm);
  const cin = sub ? '1' : '0';
  const f = flags ? live : 0;
  if (!wide(w)) return alu(add32(d, `x[${n}]`, bLo, cin, f), 0, flags);
  return alu(add64(d, `x[${n}]`, `x[${n + 1}]`, bLo, sub ? '-1' : '0', cin, f), 0, flags);
};

const logicalMasks = new Int32Array(4);

function logicOp(opc: number, a: string, b: string): string {
  return opc === 1 ? `(${a} | ${b})` : opc === 2 ? `(${a} ^ ${b})` : `(${a} & ${b})`;
}

const logicalImm: JitTemplate = (w, _offset, live) => {
  const is64 = wide(w);
  const opc = bits(w, 29, 2);
  decodeBitMasks(bits(w, 22, 1), bits(w, 10, 6), bits(w, 16, 6), true, logicalMasks);
  const iLo = logicalMasks[0];
  const iHi = is64 ? logicalMasks[1] : 0;
  const n = readSlot(rn(w));
  const d = writeSlot(rd(w), opc !== 3);
  const lo = logicOp(opc, `x[${n}]`, String(iLo));
  const hi = is64 ? logicOp(opc, `x[${n + 1}]`, String(iHi)) : '0';
  const flags = opc === 3 ? logicFlags('rL', is64 ? 'rH' : null, live) : '';
  return alu(`{ const rL = ${lo} | 0, rH = ${hi} | 0; x[${d}] = rL; x[${d + 1}] = rH; ${flags} }`, 0, opc === 3);
};

const moveWide: JitTemplate = (w) => {
  const is64 = wide(w);
  const opc = bits(w, 29, 2);
  const shift = bits(w, 21, 2) * 16;
  const imm = bits(w, 5, 16);
  const d = writeSlot(rd(w));
  const lo = shlLo(imm, 0, shift);
  const hi = shlHi(imm, 0, shift);
  if (opc === 3) {
    const keepLo = ~shlLo(0xffff, 0, shift);
    const keepHi = ~shlHi(0xffff, 0, shift);
    const high = is64 ? `(x[${d + 1}] & ${keepHi}) | ${hi}` : '0';
    return plain(`x[${d}] = (x[${d}] & ${keepLo}) | ${lo}; x[${d + 1}] = ${high};`);
  }
  const valueLo = opc === 2 ? lo : ~lo;
  const valueHi = is64 ? (opc === 2 ? hi : ~hi) : 0;
  return plain(`x[${d}] = ${valueLo}; x[${d + 1}] = ${valueHi};`);
};

const bitfieldMasks = new Int32Array(4);

const bitfield: JitTemplate = (w) => {
  const is64 = wide(w);
  const size = is64 ? 64 : 32;
  const opc = bits(w, 29, 2);
  const immr = bits(w, 16, 6);
  const imms = bits(w, 10, 6);
  const n = readSlot(rn(w));
  const d = writeSlot(rd(w));
  // LSR, LSL and ASR by a constant.
  let type = -1;
  let s = 0;
  if (opc === 2 && imms === size - 1) [type, s] = [1, immr];
  else if (opc === 2 && imms + 1 === immr) [type, s] = [0, size - 1 - imms];
  else if (opc === 0 && imms === size - 1) [type, s] = [2, immr];
  if (type >= 0) {
    if (!is64) return plain(`x[${d}] = ${shift32(type, `x[${n}]`, s)}; x[${d + 1}] = 0;`);
    const [lo, hi] = shift64(type, 'sL', 'sH', s);
    return plain(`{ const sL = x[${n}], sH = x[${n + 1}]; x[${d}] = ${lo}; x[${d + 1}] = ${hi}; }`);
  }
  decodeBitMasks(bits(w, 22, 1), imms, immr, false, bitfieldMasks);
  const wLo = bitfieldMasks[0];
  const wHi = is64 ? bitfieldMasks[1] : 0;
  const tLo = bitfieldMasks[2];
  const tHi = is64 ? bitfieldMasks[3] : 0;
  const [rLo, rHi] = is64 ? shift64(3, 'sL', 'sH', immr) : [shift32(3, 'sL', immr), '0'];
  const keep = opc === 1;
  const dst = keep ? `const dL = x[${d}], dH = x[${d + 1}];` : 'const dL = 0, dH = 0;';
  let top = 'const uL = dL, uH = dH;';
  if (opc === 0) {
    const bit = imms >= 32 ? `(sH >>> ${imms - 32}) & 1` : `(sL >>> ${imms}) & 1`;
    top = `const uL = -(${bit}), uH = uL;`;
  }
  return plain(`{ const sL = x[${n}], sH = x[${n + 1}]; ${dst}
const botL = (dL & ${~wLo}) | (${rLo} & ${wLo}), botH = (dH & ${~wHi}) | (${rHi} & ${wHi}); ${top}
x[${d}] = (uL & ${~tLo}) | (botL & ${tLo}); x[${d + 1}] = ${is64 ? `(uH & ${~tHi}) | (botH & ${tHi})` : '0'}; }`);
};

// --- register ------------------------------------------------------------------------------------------

/** AND BIC ORR ORN EOR EON ANDS BICS on two expressions. */
function logicRegOp(op: number, a: string, b: string): string {
  const inv = (op & 1) === 1 ? `~${b}` : b;
  const kind = op >> 1;
  return kind === 1 ? `(${a} | ${inv})` : kind === 2 ? `(${a} ^ ${inv})` : `(${a} & ${inv})`;
}

const logicalReg: JitTemplate = (w, _offset, live) => {
  const is64 = wide(w);
  const op = (bits(w, 29, 2) << 1) | bits(w, 21, 1);
  const type = bits(w, 22, 2);
  const s = bits(w, 10, 6);
  const n = readSlot(rn(w));
  const m = readSlot(rm(w));
  const d = writeSlot(rd(w));
  const flags = op >= 6;
  if (!is64) {
    const r = logicRegOp(op, `x[${n}]`, shift32(type, `x[${m}]`, s));
    return alu(
      `{ const rL = ${r}; x[${d}] = rL; x[${d + 1}] = 0; ${flags ? logicFlags('rL', null, live) : ''} }`,
      0,
      flags,
    );
  }
  if (op === 2 && rn(w) === 31 && s === 0) return plain(`x[${d}] = x[${m}]; x[${d + 1}] = x[${m + 1}];`);
  const [bLo, bHi] = shift64(type, 'mL', 'mH', s);
  const src = `{ const mL = x[${m}], mH = x[${m + 1}];
const rL = ${logicRegOp(op, `x[${n}]`, bLo)}, rH = ${logicRegOp(op, `x[${n + 1}]`, bHi)};
x[${d}] = rL; x[${d + 1}] = rH; ${flags ? logicFlags('rL', 'rH', live) : ''} }`;
  return alu(src, 0, flags);
};

const addSubShifted: JitTemplate = (w, _offset, live) => {
  const sub = bits(w, 30, 1) === 1;
  const flags = bits(w, 29, 1) === 1;
  const type = bits(w, 22, 2);
  const s = bits(w, 10, 6);
  const n = readSlot(rn(w));
  const m = readSlot(rm(w));
  const d = writeSlot(rd(w));
  const inv = sub ? ' ^ -1' : '';
  const cin = sub ? '1' : '0';
  const f = flags ? live : 0;
  if (!wide(w)) return alu(add32(d, `x[${n}]`, `(${shift32(type, `x[${m}]`, s)}${inv})`, cin, f), 0, flags);
  const [bLo, bHi] = shift64(type, 'mL', 'mH', s);
  const src = `{ const mL = x[${m}], mH = x[${m + 1}];
${add64(d, `x[${n}]`, `x[${n + 1}]`, `(${bLo}${inv})`, `(${bHi}${inv})`, cin, f)} }`;
  return alu(src, 0, flags);
};

const addSubExtended: JitTemplate = (w, _offset, live) => {
  const sub = bits(w, 30, 1) === 1;
  const flags = bits(w, 29, 1) === 1;
  const option = bits(w, 13, 3);
  const s = bits(w, 10, 3);
  const n = readSlot(rn(w), true);
  const m = readSlot(rm(w));
  const d = writeSlot(rd(w), !flags);
  const inv = sub ? ' ^ -1' : '';
  const cin = sub ? '1' : '0';
  const f = flags ? live : 0;
  const op = wide(w)
    ? add64(d, `x[${n}]`, `x[${n + 1}]`, `(eL${inv})`, `(eH${inv})`, cin, f)
    : add32(d, `x[${n}]`, `(eL${inv})`, cin, f);
  return alu(`{ ${extended(m, option, s)}\n${op} }`, 0, flags);
};

const adcSbc: JitTemplate = (w, _offset, live) => {
  const sub = bits(w, 30, 1) === 1;
  const flags = bits(w, 29, 1) === 1;
  const n = readSlot(rn(w));
  const m = readSlot(rm(w));
  const d = writeSlot(rd(w));
  const inv = sub ? ' ^ -1' : '';
  const f = flags ? live : 0;
  if (!wide(w)) return alu(add32(d, `x[${n}]`, `(x[${m}]${inv})`, 'cpu.c', f), FLAG_C, flags);
  return alu(add64(d, `x[${n}]`, `x[${n + 1}]`, `(x[${m}]${inv})`, `(x[${m + 1}]${inv})`, 'cpu.c', f), FLAG_C, flags);
};

const condCompare: JitTemplate = (w, _offset, live) => {
  const sub = bits(w, 30, 1) === 1;
  const immediate = bits(w, 11, 1) === 1;
  const nzcv = bits(w, 0, 4);
  const n = readSlot(rn(w));
  const m = readSlot(rm(w));
  const inv = sub ? ' ^ -1' : '';
  const cin = sub ? '1' : '0';
  const sink = writeSlot(31);
  const bLo = immediate ? `(${rm(w)}${inv})` : `(x[${m}]${inv})`;
  const bHi = immediate ? `(0${inv})` : `(x[${m + 1}]${inv})`;
  const compare = wide(w)
    ? add64(sink, `x[${n}]`, `x[${n + 1}]`, bLo, bHi, cin, live)
    : add32(sink, `x[${n}]`, bLo, cin, live);
  const fields: Array<[number, string]> = [
    [8, `cpu.n = ${nzcv >> 3};`],
    [4, `cpu.z = ${(nzcv >> 2) & 1};`],
    [2, `cpu.c = ${(nzcv >> 1) & 1};`],
    [1, `cpu.v = ${nzcv & 1};`],
  ];
  const set = fields.map(([bit, text]) => ((live & bit) !== 0 ? text : '')).join(' ');
  const cond = bits(w, 12, 4);
  return alu(`if (${condExpr(cond)}) { ${compare} } else { ${set} }`, condFlags(cond), true);
};

const condSelect: JitTemplate = (w) => {
  const is64 = wide(w);
  const op = (bits(w, 30, 1) << 1) | bits(w, 10, 1);
  const n = readSlot(rn(w));
  const m = readSlot(rm(w));
  const d = writeSlot(rd(w));
  const hiMask = is64 ? '' : ' & 0';
  let other: string;
  if (op === 0) other = `rL = x[${m}]; rH = x[${m + 1}]${hiMask};`;
  else if (op === 1) {
    other = is64
      ? `rL = (x[${m}] + 1) | 0; rH = rL === 0 ? (x[${m + 1}] + 1) | 0 : x[${m + 1}];`
      : `rL = (x[${m}] + 1) | 0; rH = 0;`;
  } else if (op === 2) other = `rL = ~x[${m}]; rH = ~x[${m + 1}]${hiMask};`;
  else {
    other = is64 ? `rL = -x[${m}] | 0; rH = (~x[${m + 1}] + (rL === 0 ? 1 : 0)) | 0;` : `rL = -x[${m}] | 0; rH = 0;`;
  }
  const cond = bits(w, 12, 4);
  const src = `{ let rL, rH; if (${condExpr(cond)}) { rL = x[${n}]; rH = x[${n + 1}]${hiMask}; }
else { ${other} } x[${d}] = rL; x[${d + 1}] = rH; }`;
  return alu(src, condFlags(cond), false);
};

const variableShift: JitTemplate = (w) => {
  const op = bits(w, 10, 6);
  if (op < 8 || op >= 16) return null;
  const type = op & 3;
  const n = readSlot(rn(w));
  const m = readSlot(rm(w));
  const d = writeSlot(rd(w));
  if (!wide(w)) {
    const v = `x[${n}]`;
    const r = ['v << s', '(v >>> s) | 0', 'v >> s', 's === 0 ? v : (v >>> s) | (v << (32 - s))'][type];
    return plain(`{ const v = ${v}, s = x[${m}] & 31; x[${d}] = ${r}; x[${d + 1}] = 0; }`);
  }
  const helper = ['shl', 'lsr', 'asr', 'ror'][type];
  return plain(`{ const s = x[${m}] & 63, vL = x[${n}], vH = x[${n + 1}];
x[${d}] = h_${helper}Lo(vL, vH, s); x[${d + 1}] = h_${helper}Hi(vL, vH, s); }`);
};

const threeSource: JitTemplate = (w) => {
  const op = (bits(w, 21, 3) << 1) | bits(w, 15, 1);
  const n = readSlot(rn(w));
  const m = readSlot(rm(w));
  const a = readSlot(ra(w));
  const d = writeSlot(rd(w));
  const negate = (op & 1) === 1;
  if (!wide(w)) {
    return plain(`x[${d}] = (x[${a}] ${negate ? '-' : '+'} Math.imul(x[${n}], x[${m}])) | 0; x[${d + 1}] = 0;`);
  }
  if (op === 4 || op === 12) {
    return plain(`h_${op === 4 ? 'smulh64' : 'umulh64'}(x[${n}], x[${n + 1}], x[${m}], x[${m + 1}], h_pair);
x[${d}] = h_pair[0]; x[${d + 1}] = h_pair[1];`);
  }
  let product: string;
  if (op <= 1) {
    product = `const nL = x[${n}], mL = x[${m}]; const pL = Math.imul(nL, mL);
const pH = (h_mulhu32(nL, mL) + Math.imul(nL, x[${m + 1}]) + Math.imul(x[${n + 1}], mL)) | 0;`;
  } else {
    const signed = op === 2 || op === 3;
    product = `const nL = x[${n}], mL = x[${m}]; const pL = Math.imul(nL, mL), pH = h_${signed ? 'mulhs32' : 'mulhu32'}(nL, mL);`;
  }
  const sum = negate
    ? add64(d, `x[${a}]`, `x[${a + 1}]`, '~pL', '~pH', '1', 0)
    : add64(d, `x[${a}]`, `x[${a + 1}]`, 'pL', 'pH', '0', 0);
  return plain(`{ ${product}\n${sum} }`);
};

export const JIT_DP: ReadonlyArray<readonly [string, JitTemplate]> = [
  ['ADR', adr],
  ['ADRP', adr],
  ['ADDSUB_imm', addSubImm],
  ['LOGICAL_imm', logicalImm],
  ['MOVE_WIDE', moveWide],
  ['BITFIELD', bitfield],
  ['LOGICAL_reg', logicalReg],
  ['ADDSUB_shifted', addSubShifted],
  ['ADDSUB_extended', addSubExtended],
  ['ADC_SBC', adcSbc],
  ['COND_COMPARE', condCompare],
  ['COND_SELECT', condSelect],
  ['DP_2SRC', variableShift],
  ['DP_3SRC', threeSource],
];
