/**
 * Bytes of a weight tensor in every format people run, and of KV cache elements.
 * Sources: docs/research/memory-model.md §4 and docs/research/mechanics.md §6 (bitsandbytes, GPTQ/AWQ).
 * GGUF types are sized by src/ggml/ (the block structs and llama.cpp's quantizer rules).
 */
import type { ModelDescription, TensorGroup } from "./model.js";
import { numel } from "./model.js";
import { GGUF_FILE_TYPES, isGgufQuant } from "../ggml/file-types.js";
import { ggmlBlock, ggmlBytes } from "../ggml/types.js";

export const WEIGHT_QUANTS = [
  "fp8", // fp8 e4m3 weights with a per-tensor fp32 scale (vLLM / compressed-tensors / FBGEMM)
  "int8", // bitsandbytes LLM.int8 (load_in_8bit)
  "nf4", // bitsandbytes 4-bit NF4 with double quantization (QLoRA default)
  "fp4", // bitsandbytes 4-bit FP4 with double quantization
  "gptq", // GPTQ 4-bit, group size 128, with g_idx
  "awq", // AWQ 4-bit GEMM, group size 128
  "mxfp4", // OCP microscaling fp4 (gpt-oss experts): 32 e2m1 values + one e8m0 scale = 17 bytes
  ...Object.keys(GGUF_FILE_TYPES),
] as const;
export type WeightQuant = (typeof WEIGHT_QUANTS)[number];

export const KV_DTYPES = ["fp32", "fp16", "bf16", "fp8", "q8_0", "q5_1", "q5_0", "q4_1", "q4_0", "iq4_nl"] as const;

export { isGgufQuant };

/**
 * The quantization a checkpoint declares (config.json `quantization_config`) when vramfit can size it: the
 * format every runtime loads it in unless told otherwise (issue #15: the checkpoint as it is stored).
 */
export function checkpointQuant(model: ModelDescription): WeightQuant | null {
  const q = model.storedQuant;
  return q && (["fp8", "mxfp4", "gptq", "awq", "nf4", "fp4", "int8"] as const).includes(q as never) ? (q as WeightQuant) : null;
}

/** Bytes per element of a dense dtype. */
export function dtypeBytes(dtype: string): number {
  switch (dtype) {
    case "fp32":
      return 4;
    case "fp16":
    case "bf16":
      return 2;
    case "fp8":
    case "int8":
      return 1;
    default:
      throw new Error(`not a dense dtype: ${dtype}`);
  }
}

/** Bytes of a KV cache holding `elements` values per row × `rows` rows (dense or a ggml block type). */
export function kvBytes(kvDtype: string, elements: number): number {
  if (ggmlBlock(kvDtype)) return ggmlBytes(kvDtype, [elements]);
  return elements * dtypeBytes(kvDtype);
}

/** Does this quantization method replace this tensor? bitsandbytes/GPTQ/AWQ/fp8 touch block linears only. */
export function isQuantized(t: TensorGroup, quant: string | null): boolean {
  if (!quant) return false;
  if (isGgufQuant(quant)) return t.shape.length >= 2 && t.kind !== "norm";
  if (quant === "mxfp4") return t.kind === "linear" && t.expert === true; // gpt-oss quantizes only the experts
  return t.kind === "linear";
}

/**
 * Bytes of one tensor of `group` under `quant`, with `dtype` for what stays unquantized.
 * Linear weights are [out, in].
 */
export function tensorBytes(group: TensorGroup, dtype: string, quant: string | null, opts: QuantOptions = {}): number {
  const n = numel(group.shape);
  if (!isQuantized(group, quant)) {
    // Norms stay fp32 in GGUF; everything else in the compute dtype.
    if (isGgufQuant(quant)) return group.kind === "norm" || group.shape.length < 2 ? n * 4 : n * 2;
    return n * dtypeBytes(dtype);
  }
  const [out, inp] = group.shape.length >= 2 ? [group.shape[0], numel(group.shape.slice(1))] : [1, n];
  switch (quant) {
    case "fp8":
      return n + 4; // e4m3 byte per weight + fp32 per-tensor scale
    case "int8":
      return n + 4 * out; // Int8Params: int8 CB + fp32 SCB per output row (bitsandbytes)
    case "nf4":
    case "fp4":
      return bnb4bitBytes(n, opts.doubleQuant ?? true);
    case "gptq":
      return gptqBytes(out, inp, 128, true);
    case "awq":
      return gptqBytes(out, inp, 128, false);
    case "mxfp4":
      return ggmlBytes("mxfp4", [inp, out]);
    default:
      // GGUF file types type each tensor by name and layer (llama.cpp's quantizer): weights.ts asks src/ggml.
      throw new Error(`tensorBytes: ${quant} is a GGUF file type; size the whole model with ggufWeightBytes`);
  }
}

/**
 * bitsandbytes Params4bit (QLoRA paper §3; bitsandbytes functional.quantize_4bit), with double quantization:
 * packed 4-bit data n/2, one absmax per 64 weights quantized to uint8, one fp32 absmax per 256 blocks,
 * plus a 256-entry fp32 code table and a fp32 offset per tensor.
 */
export function bnb4bitBytes(n: number, doubleQuant = true): number {
  const blocks = Math.ceil(n / 64);
  if (!doubleQuant) return Math.ceil(n / 2) + blocks * 4; // one fp32 absmax per block of 64
  const blocks2 = Math.ceil(blocks / 256);
  return Math.ceil(n / 2) + blocks + blocks2 * 4 + 256 * 4 + 4;
}

export interface QuantOptions {
  /** bitsandbytes 4-bit: quantize the absmax constants too (QLoRA default; transformers' default is off). */
  doubleQuant?: boolean;
}

/**
 * GPTQ/AWQ 4-bit (AutoGPTQ / AutoAWQ checkpoint layout): qweight int32 packing 8 weights, scales fp16
 * per group and output, qzeros int32 packing 8 zeros per group; GPTQ also stores g_idx int32 per input.
 */
export function gptqBytes(out: number, inp: number, group: number, gIdx: boolean): number {
  const groups = Math.ceil(inp / group);
  const qweight = (inp * out) / 2;
  const scales = groups * out * 2;
  const qzeros = groups * Math.ceil(out / 8) * 4;
  return qweight + scales + qzeros + (gIdx ? inp * 4 : 0);
}
