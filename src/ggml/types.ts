/**
 * ggml tensor types: their names, block layout and the one size function every part of vramfit uses
 * (GGUF readers, the llama.cpp KV cache, the quantizer's predicted files, weights in GGUF quants).
 *
 * Names are ggml's (ggml.h, enum ggml_type; ids → names in enums.ts, from @huggingface/gguf); the block
 * layout (values per block, bytes per block) from ggml/src/ggml-common.h (block_q4_0 ... block_iq4_xs,
 * QK_K = 256) and ggml.c's type_traits. A spec checks that every type of the enum vramfit can size has an
 * entry here and that every entry names a type of the enum.
 */
import { VramfitError } from "../core/errors.js";
import { lookup } from "../core/lookup.js";

/** ggml type name (lower case, as llama.cpp prints it) → [values per block, bytes per block]. */
export const GGML_BLOCKS: Readonly<Record<string, readonly [number, number]>> = {
  f32: [1, 4],
  f16: [1, 2],
  bf16: [1, 2],
  f64: [1, 8],
  i8: [1, 1],
  i16: [1, 2],
  i32: [1, 4],
  i64: [1, 8],
  q4_0: [32, 18],
  q4_1: [32, 20],
  q5_0: [32, 22],
  q5_1: [32, 24],
  q8_0: [32, 34],
  q8_1: [32, 36],
  q2_k: [256, 84],
  q3_k: [256, 110],
  q4_k: [256, 144],
  q5_k: [256, 176],
  q6_k: [256, 210],
  q8_k: [256, 292],
  iq2_xxs: [256, 66],
  iq2_xs: [256, 74],
  iq2_s: [256, 82],
  iq3_xxs: [256, 98],
  iq3_s: [256, 110],
  iq1_s: [256, 50],
  iq1_m: [256, 56],
  iq4_nl: [32, 18],
  iq4_xs: [256, 136],
  tq1_0: [256, 54],
  tq2_0: [256, 66],
  mxfp4: [32, 17],
};

export function ggmlBlock(type: string): readonly [number, number] | undefined {
  return lookup(GGML_BLOCKS, type);
}

/**
 * ggml_row_size: bytes of one row of `ne0` values. ggml stores a row as whole blocks and refuses a row that
 * is not a multiple of the block (ggml_row_size asserts it), so a partial block is an error here too.
 */
export function ggmlRowBytes(type: string, ne0: number): number {
  const b = ggmlBlock(type);
  if (!b) throw new VramfitError("invalid_option", `unknown ggml type '${type}'`);
  if (ne0 % b[0] !== 0) throw new VramfitError("does_not_run", `a row of ${ne0} values cannot be stored as ${type} (blocks of ${b[0]})`);
  return (ne0 / b[0]) * b[1];
}

/** Bytes of a tensor of ggml shape `ne` (row length first): ggml_row_size(type, ne0) × ne1 × ne2 × … */
export function ggmlBytes(type: string, ne: readonly number[]): number {
  let rows = 1;
  for (let i = 1; i < ne.length; i++) rows *= ne[i];
  return ggmlRowBytes(type, ne[0] ?? 1) * rows;
}

/** Whether a row of `ne0` values can be stored in this type. */
export function ggmlRowFits(type: string, ne0: number): boolean {
  const b = ggmlBlock(type);
  return b !== undefined && ne0 % b[0] === 0;
}

export const isDenseGgmlType = (t: string) => ggmlBlock(t)?.[0] === 1;
