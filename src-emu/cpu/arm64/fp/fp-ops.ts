/**
 * Scalar FP operations in one calling shape for the instruction closures: (st, fmt, aLo, aHi, bLo, bHi)
 * with the result left in st.lo (and st.hi for doubles). Singles go through the fast entry points.
 */
import { Format } from './softfloat/status';
import { SIGN_BITS } from './softfloat/round';
import type { FpFormat, FpStatus } from './softfloat/status';
import { f32Add, f32Div, f32Mul, f32Sub, f64Add, f64Div, f64Mul, f64Sub } from './softfloat/ops';
import { fpMaxMin } from './softfloat/compare';
import { fpRecipStep } from './softfloat/estimate';

export type BinaryFpOp = (st: FpStatus, fmt: FpFormat, aLo: number, aHi: number, bLo: number, bHi: number) => void;

const add: BinaryFpOp = (st, fmt, aLo, aHi, bLo, bHi) => {
  if (fmt === Format.SINGLE) st.lo = f32Add(st, aLo, bLo);
  else f64Add(st, aLo, aHi, bLo, bHi);
};
const sub: BinaryFpOp = (st, fmt, aLo, aHi, bLo, bHi) => {
  if (fmt === Format.SINGLE) st.lo = f32Sub(st, aLo, bLo);
  else f64Sub(st, aLo, aHi, bLo, bHi);
};
const mul: BinaryFpOp = (st, fmt, aLo, aHi, bLo, bHi) => {
  if (fmt === Format.SINGLE) st.lo = f32Mul(st, aLo, bLo);
  else f64Mul(st, aLo, aHi, bLo, bHi);
};
const div: BinaryFpOp = (st, fmt, aLo, aHi, bLo, bHi) => {
  if (fmt === Format.SINGLE) st.lo = f32Div(st, aLo, bLo);
  else f64Div(st, aLo, aHi, bLo, bHi);
};

/** Flips the sign bit of the result (FNMUL negates after rounding, NaNs included, as the ARM ARM does). */
export function negateResult(st: FpStatus, fmt: FpFormat): void {
  if (fmt === Format.DOUBLE) st.hi ^= SIGN_BITS[fmt];
  else st.lo ^= SIGN_BITS[fmt];
}

const maxMin =
  (isMax: boolean, numeric: boolean): BinaryFpOp =>
  (st, fmt, aLo, aHi, bLo, bHi) => {
    fpMaxMin(st, fmt, aLo, aHi, bLo, bHi, isMax, numeric);
  };

/** FP data-processing (2 source) by opcode: FMUL FDIV FADD FSUB FMAX FMIN FMAXNM FMINNM FNMUL. */
export const FP2_OPS: readonly BinaryFpOp[] = [
  mul,
  div,
  add,
  sub,
  maxMin(true, false),
  maxMin(false, false),
  maxMin(true, true),
  maxMin(false, true),
  (st, fmt, aLo, aHi, bLo, bHi) => {
    mul(st, fmt, aLo, aHi, bLo, bHi);
    negateResult(st, fmt);
  },
];
export const FP2_NAMES = ['fmul', 'fdiv', 'fadd', 'fsub', 'fmax', 'fmin', 'fmaxnm', 'fminnm', 'fnmul'] as const;

export const recipStep: BinaryFpOp = (st, fmt, aLo, aHi, bLo, bHi) => {
  fpRecipStep(st, fmt, aLo, aHi, bLo, bHi, false);
};
export const rsqrtStep: BinaryFpOp = (st, fmt, aLo, aHi, bLo, bHi) => {
  fpRecipStep(st, fmt, aLo, aHi, bLo, bHi, true);
};
