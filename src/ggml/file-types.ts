/**
 * GGUF file types: what users call a quantization (q4_k_m, q8_0, iq4_xs), llama.cpp's LLAMA_FTYPE_MOSTLY_*.
 * Names as llama.h's enum llama_ftype spells them (ids → names in enums.ts, from @huggingface/gguf); the base
 * ggml type of each file type's big matrices from llama.cpp src/llama-quant.cpp (llama_model_quantize_impl,
 * the switch on ftype). The per-tensor choice is quantizer.ts.
 */
import { lookup } from "../core/lookup.js";

/** File types llama-quantize writes, lower case, → the ggml type of their big matrices. */
export const GGUF_FILE_TYPES: Readonly<Record<string, string>> = {
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

export const GGUF_FILE_TYPE_NAMES = Object.keys(GGUF_FILE_TYPES);

/** True for a GGUF file type name (q4_k_m, ...). */
export function isGgufQuant(q: string | null | undefined): boolean {
  return q != null && lookup(GGUF_FILE_TYPES, q) !== undefined;
}
