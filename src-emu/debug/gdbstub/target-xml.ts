/**
 * Target description (GDB manual, "Target Descriptions" and "AArch64 Features"): the features
 * org.gnu.gdb.aarch64.core (x0-x30, sp, pc, 32-bit cpsr) and org.gnu.gdb.aarch64.fpu (v0-v31 as 128-bit
 * vector unions, fpsr, fpcr), numbered in the order of debug/registers.ts.
 */
import { GDB_REG } from '../registers';

const CPSR_FLAGS = `<flags id="cpsr_flags" size="4">
  <field name="SP" start="0" end="0"/>
  <field name="EL" start="2" end="3"/>
  <field name="nRW" start="4" end="4"/>
  <field name="F" start="6" end="6"/>
  <field name="I" start="7" end="7"/>
  <field name="A" start="8" end="8"/>
  <field name="D" start="9" end="9"/>
  <field name="IL" start="20" end="20"/>
  <field name="SS" start="21" end="21"/>
  <field name="V" start="28" end="28"/>
  <field name="C" start="29" end="29"/>
  <field name="Z" start="30" end="30"/>
  <field name="N" start="31" end="31"/>
</flags>`;

function coreFeature(): string {
  const regs: string[] = [];
  for (let n = 0; n <= 30; n++) regs.push(`<reg name="x${n}" bitsize="64" regnum="${n}"/>`);
  regs.push(`<reg name="sp" bitsize="64" type="data_ptr" regnum="${GDB_REG.SP}"/>`);
  regs.push(`<reg name="pc" bitsize="64" type="code_ptr" regnum="${GDB_REG.PC}"/>`);
  regs.push(`<reg name="cpsr" bitsize="32" type="cpsr_flags" regnum="${GDB_REG.CPSR}"/>`);
  return `<feature name="org.gnu.gdb.aarch64.core">\n${CPSR_FLAGS}\n${regs.join('\n')}\n</feature>`;
}

/** Lane views of a V register, as gdb names them (v0.d.f, v0.s.u, v0.b.s, ...). */
const VECTOR_TYPES = `<vector id="v2d" type="ieee_double" count="2"/>
<vector id="v2u" type="uint64" count="2"/>
<vector id="v2i" type="int64" count="2"/>
<vector id="v4f" type="ieee_single" count="4"/>
<vector id="v4u" type="uint32" count="4"/>
<vector id="v4i" type="int32" count="4"/>
<vector id="v8u" type="uint16" count="8"/>
<vector id="v8i" type="int16" count="8"/>
<vector id="v16u" type="uint8" count="16"/>
<vector id="v16i" type="int8" count="16"/>
<vector id="v1u" type="uint128" count="1"/>
<vector id="v1i" type="int128" count="1"/>
<union id="vnd"><field name="f" type="v2d"/><field name="u" type="v2u"/><field name="s" type="v2i"/></union>
<union id="vns"><field name="f" type="v4f"/><field name="u" type="v4u"/><field name="s" type="v4i"/></union>
<union id="vnh"><field name="u" type="v8u"/><field name="s" type="v8i"/></union>
<union id="vnb"><field name="u" type="v16u"/><field name="s" type="v16i"/></union>
<union id="vnq"><field name="u" type="v1u"/><field name="s" type="v1i"/></union>
<union id="aarch64v"><field name="d" type="vnd"/><field name="s" type="vns"/><field name="h" type="vnh"/><field name="b" type="vnb"/><field name="q" type="vnq"/></union>`;

function fpuFeature(): string {
  const regs: string[] = [];
  for (let n = 0; n < 32; n++)
    regs.push(`<reg name="v${n}" bitsize="128" type="aarch64v" regnum="${GDB_REG.V0 + n}"/>`);
  regs.push(`<reg name="fpsr" bitsize="32" regnum="${GDB_REG.FPSR}"/>`);
  regs.push(`<reg name="fpcr" bitsize="32" regnum="${GDB_REG.FPCR}"/>`);
  return `<feature name="org.gnu.gdb.aarch64.fpu">\n${VECTOR_TYPES}\n${regs.join('\n')}\n</feature>`;
}

export const TARGET_XML = `<?xml version="1.0"?>
<!DOCTYPE target SYSTEM "gdb-target.dtd">
<target>
<architecture>aarch64</architecture>
${coreFeature()}
${fpuFeature()}
</target>
`;

/** The annexes qXfer:features:read serves. */
export const FEATURE_FILES: ReadonlyMap<string, string> = new Map([['target.xml', TARGET_XML]]);
