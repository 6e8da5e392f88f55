/**
 * The ggml type llama.cpp's quantizer gives each tensor of a GGUF file for a file type (what users call
 * the quant: Q4_K_M, Q8_0, ...), so a predicted file matches the real one tensor by tensor.
 *
 * Source: llama.cpp src/llama-quant.cpp (llama_model_quantize_impl and llama_tensor_get_type), read in
 * the copy vendored by ollama/ollama (llama/llama.cpp/src/llama-quant.cpp):
 * - only tensors whose name ends in "weight", with 2+ dimensions, are quantized; never *_norm.weight,
 *   ffn_gate_inp.weight (MoE router), position embeddings or token types; the rest keep the converter's
 *   type (F32 for 1-D tensors and routers, F16 otherwise);
 * - output.weight (or token_embd.weight when the model ties them) -> Q6_K, or Q8_0 for Falcon, for rows
 *   not divisible by the base type's block, or when the base type is Q8_0;
 * - attn_v.weight: Q4_K_M/Q5_K_M -> Q6_K on "use_more_bits" layers (the first and last eighth and every
 *   third layer between), Q4_K_S -> Q5_K on the first 4, Q3_K_M -> Q5_K on the first 2 else Q4_K,
 *   Q3_K_L -> Q5_K, Q2_K -> Q4_K (GQA >= 4) or Q3_K; 70B models bump Q3_K/Q4_K to Q5_K; 8-expert models
 *   (Mixtral) use Q8_0 for attn_v and attn_k;
 * - ffn_down (also the expert and shared-expert ones, by their block index): Q4_K_M -> Q6_K on
 *   use_more_bits layers (Falcon: Q6_K / Q5_K / Q4_K), Q5_K_M -> Q6_K likewise, Q4_K_S -> Q5_K on the first
 *   eighth, Q3_K_M -> Q5_K on the first 16th else Q4_K, Q3_K_L -> Q5_K, Q2_K -> Q3_K;
 * - attn_output: Q2_K -> Q3_K, Q3_K_M -> Q4_K, Q3_K_L -> Q5_K; 8-expert models -> Q5_K for most K types;
 * - attn_qkv (fused): Q3_K_M/L -> Q4_K, Q4_K_M -> Q5_K, Q5_K_M -> Q6_K;
 * - a row length not divisible by the chosen type's block falls back: Q4_K -> Q5_0, Q5_K -> Q5_1,
 *   Q6_K -> Q8_0, Q2_K/Q3_K/IQ4_XS -> IQ4_NL (then F16 if that does not divide either).
 * IQ file types assume an importance matrix (how they are published).
 */
import { VramfitError } from "../core/errors.js";
import { GGUF_FILE_TYPES } from "./file-types.js";
import { ggmlBytes, ggmlRowFits } from "./types.js";

/** A tensor as the GGUF file holds it: llama.cpp name and ggml shape (ne0 = row length first). */
export interface GgufTensor {
  name: string;
  ne: number[];
  /** Type the converter wrote (before quantization). Default: f32 for 1-D tensors and routers, else f16. */
  sourceType?: string;
  /** Index of the model description's tensor group this tensor was made from (tensor-names.ts). */
  group?: number;
}

export interface GgufTypedTensor extends GgufTensor {
  type: string;
  bytes: number;
}

/** What the quantizer needs to know about the model (llama_hparams / llama_model::type). */
export interface GgufQuantModelInfo {
  /** GGUF general.architecture (llama, qwen2, falcon, ...) or HF model_type. */
  architecture: string;
  layers: number;
  heads: number;
  kvHeads: number;
  /** Routed experts (0 or 1 for dense models). */
  experts: number;
}

const DENSE = new Set(["f32", "f16", "bf16"]);

/** use_more_bits in llama_tensor_get_type (integer division as in C++). */
function useMoreBits(i: number, n: number): boolean {
  const n8 = Math.trunc(n / 8);
  return i < n8 || i >= Math.trunc((7 * n) / 8) || (i - n8) % 3 === 2;
}

function layerOf(name: string): number {
  const m = /^blk\.(\d+)\./.exec(name);
  return m ? Number(m[1]) : -1;
}

function nDims(ne: readonly number[]): number {
  let n = ne.length;
  while (n > 1 && ne[n - 1] === 1) n--;
  return n;
}

function isQuantizable(t: GgufTensor): boolean {
  const n = t.name;
  if (!n.endsWith("weight") || nDims(t.ne) < 2) return false;
  if (n.includes("_norm.weight") || n.includes("ffn_gate_inp.weight")) return false;
  if (n === "position_embd.weight" || n === "token_types.weight" || n.includes(".position_embd.")) return false;
  if (/altup|laurel|per_layer_model_proj|ssm_conv1d|shortconv\.conv|time_mix_|attn_rel_b/.test(n)) return false;
  // llama.cpp names Mamba's A "blk.N.ssm_a" (no ".weight"): llama_model_quantize_impl never quantizes it
  if (/\.ssm_a\./.test(n)) return false;
  return true;
}

function defaultSourceType(t: GgufTensor): string {
  if (t.sourceType) return t.sourceType.toLowerCase();
  return nDims(t.ne) < 2 || t.name.includes("ffn_gate_inp") || t.name.includes("_norm.") ? "f32" : "f16";
}

function fallback(type: string, ne0: number): string {
  if (ggmlRowFits(type, ne0)) return type;
  const fb: Record<string, string> = {
    tq1_0: "q4_0", tq2_0: "q4_0", iq2_xxs: "iq4_nl", iq2_xs: "iq4_nl", iq2_s: "iq4_nl", iq3_xxs: "iq4_nl",
    iq3_s: "iq4_nl", iq1_s: "iq4_nl", iq1_m: "iq4_nl", q2_k: "iq4_nl", q3_k: "iq4_nl", iq4_xs: "iq4_nl",
    q4_k: "q5_0", q5_k: "q5_1", q6_k: "q8_0",
  };
  const next = fb[type];
  if (!next) throw new VramfitError("does_not_run", `llama.cpp cannot quantize a row of ${ne0} values as ${type}`);
  return ggmlRowFits(next, ne0) ? next : "f16";
}

/** llama_tensor_get_type for the tensors of one model, in file order (token_embd, output, blk.0 ... ). */
export function ggufTensorTypes(tensors: readonly GgufTensor[], fileType: string, model: GgufQuantModelInfo): GgufTypedTensor[] {
  const ftype = fileType.toLowerCase();
  const base = GGUF_FILE_TYPES[ftype];
  if (!base) {
    throw new VramfitError("invalid_option", `unknown GGUF file type '${fileType}'`, { suggestion: `use one of: ${Object.keys(GGUF_FILE_TYPES).join(", ")}` });
  }
  const arch = model.architecture.toLowerCase();
  const falcon = arch === "falcon";
  const gqa = model.kvHeads > 0 ? model.heads / model.kvHeads : 1;
  const eightExperts = model.experts === 8;
  // llama_model::type == LLM_TYPE_70B: 80-layer llama / qwen2 models (llama-model.cpp load_hparams)
  const is70B = model.layers === 80 && ["llama", "qwen2"].includes(arch);
  const hasOutput = tensors.some((t) => t.name === "output.weight");
  const nLayer = model.layers;
  // counters of llama_model_quantize_impl, advanced in file order (tensors sorted by block index)
  const nAttnV = tensors.filter((t) => /attn_v\.weight|attn_qkv\.weight|attn_kv_b\.weight/.test(t.name)).length;
  let iAttnV = 0;
  let iFfnDown = 0;

  const pick = (t: GgufTensor): string => {
    const name = t.name;
    let type = base;
    if (name === "output.weight" || (!hasOutput && name === "token_embd.weight")) {
      if (falcon || !ggmlRowFits(base, t.ne[0])) type = "q8_0";
      else if (base !== "q8_0") type = "q6_k";
    } else if (name === "token_embd.weight") {
      type = base;
    } else if (name.includes("attn_v.weight")) {
      if (ftype === "q2_k") type = gqa >= 4 ? "q4_k" : "q3_k";
      else if (ftype === "q2_k_s" && gqa >= 4) type = "q4_k";
      else if (ftype === "iq3_xxs") type = gqa >= 4 ? "q4_k" : "iq3_xxs";
      else if (ftype === "iq3_s" && gqa >= 4) type = "q4_k";
      else if (ftype === "iq3_m") type = "q4_k";
      else if (ftype === "q3_k_m") type = iAttnV < 2 ? "q5_k" : "q4_k";
      else if (ftype === "q3_k_l") type = "q5_k";
      else if ((ftype === "iq4_nl" || ftype === "iq4_xs") && gqa >= 4) type = "q5_k";
      else if ((ftype === "q4_k_m" || ftype === "q5_k_m") && useMoreBits(iAttnV, nAttnV)) type = "q6_k";
      else if (ftype === "q4_k_s" && iAttnV < 4) type = "q5_k";
      if (is70B && (type === "q3_k" || type === "q4_k")) type = "q5_k";
      if (eightExperts) type = "q8_0";
      iAttnV++;
    } else if (name.includes("attn_k.weight")) {
      if (eightExperts) type = "q8_0";
    } else if (name.includes("ffn_down")) {
      // layer from the name when the model has experts, else the running counter (the same in file order)
      const i = model.experts > 1 ? layerOf(name) : iFfnDown;
      const n = nLayer;
      if (ftype === "q2_k") type = "q3_k";
      else if (ftype === "q2_k_s") { if (i < Math.trunc(n / 8)) type = "q4_k"; }
      else if (ftype === "q3_k_m") type = i < Math.trunc(n / 16) ? "q5_k" : !falcon || useMoreBits(i, n) ? "q4_k" : "q3_k";
      else if (ftype === "iq3_m" && (i < Math.trunc(n / 8) || (eightExperts && useMoreBits(i, n)))) type = "q4_k";
      else if (ftype === "q3_k_l") type = falcon ? "q4_k" : "q5_k";
      else if (ftype === "q4_k_m") {
        if (falcon) type = i < Math.trunc(n / 16) ? "q6_k" : useMoreBits(i, n) ? "q5_k" : "q4_k";
        else if (useMoreBits(i, n)) type = "q6_k";
      } else if (ftype === "q5_k_m" && useMoreBits(i, n)) type = "q6_k";
      else if (ftype === "q4_k_s" && !falcon && i < Math.trunc(n / 8)) type = "q5_k";
      iFfnDown++;
    } else if (name.includes("attn_output.weight")) {
      if (!falcon) {
        if (eightExperts) {
          if (["q2_k", "q3_k_s", "q3_k_m", "iq4_nl", "q4_k_s", "q4_k_m", "iq3_s", "iq3_m", "iq4_xs", "iq3_xxs"].includes(ftype)) type = "q5_k";
        } else if (ftype === "q2_k") type = "q3_k";
        else if (ftype === "iq3_xxs") type = "iq3_s";
        else if (ftype === "q3_k_m") type = "q4_k";
        else if (ftype === "q3_k_l") type = "q5_k";
        else if (ftype === "iq3_m") type = "q4_k";
      } else if (ftype === "q3_k_l") type = "q4_k";
    } else if (name.includes("attn_qkv.weight")) {
      if (ftype === "q3_k_m" || ftype === "q3_k_l" || ftype === "iq3_m") type = "q4_k";
      else if (ftype === "q4_k_m") type = "q5_k";
      else if (ftype === "q5_k_m") type = "q6_k";
    }
    return fallback(type, t.ne[0]);
  };

  return tensors.map((t) => {
    let type: string;
    if (!isQuantizable(t)) type = defaultSourceType(t);
    else if (DENSE.has(base)) type = base;
    else type = pick(t);
    return { ...t, type, bytes: ggmlBytes(type, t.ne) };
  });
}

/** Sum of tensor bytes: llama.cpp's "model size" (llama-bench size column, print_info "file size"). */
export function ggufTensorBytes(tensors: readonly GgufTypedTensor[]): number {
  return tensors.reduce((s, t) => s + t.bytes, 0);
}

/** Tensor data as laid out in the file: each tensor padded to GGUF's 32-byte alignment. */
export function ggufDataBytes(tensors: readonly GgufTypedTensor[], alignment = 32): number {
  return tensors.reduce((s, t) => s + Math.ceil(t.bytes / alignment) * alignment, 0);
}
