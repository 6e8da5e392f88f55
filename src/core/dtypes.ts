/**
 * Storage dtypes as readers find them in files, mapped to vramfit's lowercase names, with their exact
 * storage size. Safetensors names from the safetensors spec (safetensors/src/tensor.rs, enum Dtype);
 * sub-byte types (F4, F6_*) are bit-packed. ggml block types (q4_k, ...) are sized by src/ggml/types.ts.
 */
import type { TensorGroup } from "./model.js";
import { numel } from "./model.js";
import { lookup } from "./lookup.js";
import { ggmlBlock, ggmlBytes } from "../ggml/types.js";

/** Safetensors dtype → [vramfit name, bits per element]. */
export const SAFETENSORS_DTYPES: Record<string, [string, number]> = {
  BOOL: ["bool", 8],
  U8: ["uint8", 8],
  I8: ["int8", 8],
  U16: ["uint16", 16],
  I16: ["int16", 16],
  U32: ["uint32", 32],
  I32: ["int32", 32],
  U64: ["uint64", 64],
  I64: ["int64", 64],
  F16: ["fp16", 16],
  BF16: ["bf16", 16],
  F32: ["fp32", 32],
  F64: ["fp64", 64],
  C64: ["complex64", 64],
  F8_E4M3: ["fp8_e4m3", 8],
  F8_E5M2: ["fp8_e5m2", 8],
  F8_E4M3FNUZ: ["fp8_e4m3fnuz", 8],
  F8_E5M2FNUZ: ["fp8_e5m2fnuz", 8],
  F8_E8M0: ["fp8_e8m0", 8],
  F6_E2M3: ["fp6_e2m3", 6],
  F6_E3M2: ["fp6_e3m2", 6],
  F4: ["fp4", 4],
};

/** Bits per element of a dense vramfit dtype name (the values of SAFETENSORS_DTYPES). */
const DENSE_BITS: Record<string, number> = Object.fromEntries(Object.values(SAFETENSORS_DTYPES));

/** ggml's names for its dense types → vramfit's (the rest of ggml's names are used as they are). */
const GGML_DENSE: Record<string, string> = { f32: "fp32", f16: "fp16", f64: "fp64", i8: "int8", i16: "int16", i32: "int32", i64: "int64" };

/** The vramfit dtype of a ggml type name (f16 → fp16, q4_k → q4_k). */
export function dtypeOfGgmlType(ggmlName: string): string {
  return lookup(GGML_DENSE, ggmlName) ?? ggmlName;
}

/** A dtype spelled as a file or a user spells it (F8_E4M3, f16, BF16, I8, q4_K) → vramfit's name. */
export function normalizeDtype(dtype: string): string {
  const lower = dtype.toLowerCase();
  if (lookup(DENSE_BITS, lower) !== undefined) return lower; // already vramfit's: fp16, int8, fp8_e4m3
  if (ggmlBlock(lower)) return dtypeOfGgmlType(lower); // ggml's: f16, i8, q4_k
  return lookup(SAFETENSORS_DTYPES, dtype.toUpperCase())?.[0] ?? lower; // safetensors': U8, F8_E5M2
}

/**
 * Exact stored bytes of a tensor of `shape` (PyTorch order: the row is the last dimension) in a dtype read
 * from a file: a dense dtype, or a ggml block type where each row is stored as whole blocks. Undefined for
 * an unknown dtype; a row that is not whole blocks throws (ggml cannot store it).
 */
export function storedBytes(dtype: string, shape: readonly number[]): number | undefined {
  const d = normalizeDtype(dtype);
  const bits = lookup(DENSE_BITS, d);
  if (bits !== undefined) return Math.ceil((numel(shape) * bits) / 8);
  if (ggmlBlock(d)) return ggmlBytes(d, shape.length ? [shape[shape.length - 1], numel(shape.slice(0, -1))] : [1]);
  return undefined;
}

/** Stored bytes of all tensors of a group whose dtype was read from a file (undefined if unknown). */
export function groupStoredBytes(group: TensorGroup): number | undefined {
  if (!group.dtype) return undefined;
  const one = storedBytes(group.dtype, group.shape);
  return one === undefined ? undefined : one * group.count;
}

/** True for the dtypes that hold weights people call "parameters" (not scales/bookkeeping). */
export function isScaleOnlyDtype(dtype: string): boolean {
  return dtype === "fp8_e8m0";
}
