/**
 * Bytes of a weight tensor in every format people run, and of KV cache elements.
 * Sources: docs/research/memory-model.md §4 and docs/research/mechanics.md §6 (bitsandbytes, GPTQ/AWQ, ggml
 * block structs in ggml/src/ggml-common.h).
 */
import type { TensorGroup } from "./model.js";
import { numel } from "./model.js";
import { lookup } from "./lookup.js";

/** ggml block types: [elements per block, bytes per block] from ggml-common.h. */
export const GGML_BLOCKS: Record<string, [number, number]> = {
  f32: [1, 4],
  f16: [1, 2],
  bf16: [1, 2],
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

/**
 * GGUF "file types" llama-quantize accepts (LLAMA_FTYPE_MOSTLY_*, what users type: q4_k_m), lower case,
 * mapped to the base block type of their big matrices.
 * Real files mix types per tensor (llama.cpp's quantizer upgrades some tensors); `ggufTensorType`
 * applies the main rules.
 */
export const GGUF_FILE_TYPES: Record<string, string> = {
  f32: "f32",
  f16: "f16",
  bf16: "bf16",
  q4_0: "q4_0",
  q4_1: "q4_1",
  q5_0: "q5_0",
  q5_1: "q5_1",
  q8_0: "q8_0",
  q2_k: "q2_k",
  q2_k_s: "q2_k",
  q3_k_s: "q3_k",
  q3_k_m: "q3_k",
  q3_k_l: "q3_k",
  q4_k_s: "q4_k",
  q4_k_m: "q4_k",
  q5_k_s: "q5_k",
  q5_k_m: "q5_k",
  q6_k: "q6_k",
  iq4_nl: "iq4_nl",
  iq4_xs: "iq4_xs",
  iq3_xxs: "iq3_xxs",
  iq3_s: "iq3_s",
  iq3_m: "iq3_s",
  iq2_m: "iq2_s",
};

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

export function isGgufQuant(q: string | null | undefined): boolean {
  return q != null && lookup(GGUF_FILE_TYPES, q) !== undefined;
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

/** Bytes of `elements` values of a KV cache type (dense or ggml block type). */
export function kvBytes(kvDtype: string, elements: number): number {
  if (lookup(GGML_BLOCKS, kvDtype)) return ggmlBytes(kvDtype, elements);
  return elements * dtypeBytes(kvDtype);
}

export function ggmlBytes(type: string, elements: number): number {
  const b = lookup(GGML_BLOCKS, type);
  if (!b) throw new Error(`unknown ggml type ${type}`);
  return Math.ceil(elements / b[0]) * b[1];
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
      return ggmlBytes("mxfp4", n);
    default:
      return ggmlBytes(ggufTensorType(group, quant!), n);
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

/**
 * The ggml type llama.cpp's quantizer gives a tensor for a file type. Main rules from
 * llama.cpp src/llama-quant.cpp (llama_tensor_get_type): the output matrix goes to q6_k for k-quants
 * (q8_0 for q8_0), token embeddings keep the base type, and *_M mixes use q6_k for attn_v / ffn_down
 * in part of the layers. Refined per tensor by the runtime profiles.
 */
export function ggufTensorType(group: TensorGroup, fileType: string): string {
  const base = GGUF_FILE_TYPES[fileType];
  if (!base) throw new Error(`unknown GGUF file type ${fileType}`);
  if (group.kind === "lm_head") return base === "q8_0" ? "q8_0" : "q6_k";
  return base;
}
