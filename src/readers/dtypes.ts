/**
 * Storage dtypes as readers find them in files, mapped to vramfit's lowercase names, with their exact
 * storage size. Safetensors names from the safetensors spec (safetensors/src/tensor.rs, enum Dtype);
 * sub-byte types (F4, F6_*) are bit-packed. GGUF/ggml block types come from core/precision.ts.
 */
import { GGML_BLOCKS } from "../core/precision.js";
import type { TensorGroup } from "../core/model.js";
import { numel } from "../core/model.js";
import { lookup } from "../core/lookup.js";

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

/**
 * Exact stored bytes of `elements` values of a dtype read from a file: a dense dtype, or a ggml block
 * type (q4_k ...) where a row is stored as whole blocks. Undefined for an unknown dtype.
 */
export function storedBytes(dtype: string, elements: number): number | undefined {
  const bits = lookup(DENSE_BITS, dtype);
  if (bits !== undefined) return Math.ceil((elements * bits) / 8);
  const block = lookup(GGML_BLOCKS, dtype);
  if (block) return Math.ceil(elements / block[0]) * block[1];
  return undefined;
}

/** Stored bytes of all tensors of a group whose dtype was read from a file (undefined if unknown). */
export function groupStoredBytes(group: TensorGroup): number | undefined {
  if (!group.dtype) return undefined;
  const one = storedBytes(group.dtype, numel(group.shape));
  return one === undefined ? undefined : one * group.count;
}

/** True for the dtypes that hold weights people call "parameters" (not scales/bookkeeping). */
export function isScaleOnlyDtype(dtype: string): boolean {
  return dtype === "fp8_e8m0";
}
