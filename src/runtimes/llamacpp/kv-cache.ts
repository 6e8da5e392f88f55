/**
 * llama.cpp's KV cache, byte for byte as it allocates it.
 *
 * Sources (llama.cpp, read through the vendored copy in ollama/ollama llama/llama.cpp/src and checked on
 * every record of bench/accuracy/llamacpp-cpu.jsonl):
 * - llama-kv-cache.cpp: per layer one K tensor [n_embd_k_gqa, kv_size, n_stream] and one V tensor
 *   [n_embd_v_gqa, kv_size, n_stream] of the cache types; n_stream = 1 when unified, else n_seq.
 *   Bytes = ggml_row_size(type, n_embd) * kv_size * n_stream (ggml block structs, src/ggml/types.ts).
 * - llama-kv-cache-iswa.cpp: models with sliding-window layers get two caches; the window one holds
 *   pad256(min(kv_size, n_swa * (unified ? n_seq : 1) + n_ubatch)) cells, or kv_size with --swa-full.
 * - multi-head latent attention (DeepSeek-V2/V3, Kimi-K2): the cache holds the compressed latent plus
 *   the rope part (kv_lora_rank + qk_rope_head_dim = 576 values) in K and no V tensor.
 * - llama-context.cpp: a quantized V cache needs flash attention (MLA models too, and they need K and V
 *   of one type: "model does not support different K (q8_0) and V (f16) cache types"); a quantized K or V type whose block
 *   size does not divide the head size is refused ("K cache type q8_0 with block size 32 does not
 *   divide n_embd_head_k=80") when flash attention is on; without it only whole rows must fit.
 * - hybrid models (llama-model.cpp create_memory → llama_memory_hybrid): the KV cache holds only the layers the
 *   attention filter keeps (Jamba/LFM2/Granite-H: n_head_kv > 0; Nemotron-H: attention layers; Qwen3-Next/3.5:
 *   every full_attention_interval-th; Falcon-H1: all); the recurrent layers' state is state-cache.ts's
 *   (llamaCppStateCache). Checked on bench/accuracy/llamacpp-recurrent-cpu.jsonl.
 */
import { VramfitError } from "../../core/errors.js";
import type { TransformerShape } from "../../core/model.js";
import { ggmlBlock, ggmlRowBytes } from "../../ggml/types.js";
import { llamaCppContextParams, type LlamaCppContextParams, LLAMA_CPP_CTX_PAD, padTo } from "./context-params.js";
import { llamaCppSlidingLayers } from "../../ggml/sliding-window.js";
import { hasAttention, layerMixers, llamaCppStateCache } from "../../core/state-cache.js";

/** Cache types llama.cpp accepts for --cache-type-k / --cache-type-v (common/arg.cpp kv_cache_types). */
export const LLAMA_CPP_KV_TYPES = ["f32", "f16", "bf16", "q8_0", "q4_0", "q4_1", "iq4_nl", "q5_0", "q5_1"] as const;
export type LlamaCppKvType = (typeof LLAMA_CPP_KV_TYPES)[number];

export interface LlamaCppKvOptions {
  /** --ctx-size (total cells; each of n_seq sequences gets n_ctx / n_seq unless unified). */
  nCtx: number;
  /** --parallel. Default 1. */
  nSeq?: number;
  /** --kv-unified. Default false (llama-server turns it on when -np is not given). */
  kvUnified?: boolean;
  /** --cache-type-k / --cache-type-v. Default f16. */
  typeK?: string;
  typeV?: string;
  /** --flash-attn. Default false. */
  flashAttn?: boolean;
  /** --swa-full. Default false. */
  swaFull?: boolean;
  /** --ubatch-size. Default 512. */
  nUbatch?: number;
  /** --batch-size. Default 2048. */
  nBatch?: number;
  /** Model architecture (HF model_type or GGUF general.architecture): decides whether llama.cpp uses the model's sliding window. */
  architecture?: string;
}

export interface LlamaCppKvLayer {
  layer: number;
  sliding: boolean;
  /** Cells per stream. */
  cells: number;
  kBytes: number;
  vBytes: number;
}

export interface LlamaCppKvCache {
  kBytes: number;
  vBytes: number;
  totalBytes: number;
  /** Cells per stream of the full-attention layers (llama.cpp's "N cells" of the non-SWA cache). */
  cells: number;
  /** Cells per stream of the sliding-window layers, or null when the model has none (or llama.cpp ignores them). */
  swaCells: number | null;
  nStream: number;
  params: LlamaCppContextParams;
  perLayer: LlamaCppKvLayer[];
}

export function isLlamaCppKvType(t: string): t is LlamaCppKvType {
  return (LLAMA_CPP_KV_TYPES as readonly string[]).includes(t);
}

/** Normalizes the spellings users type (F16, fp16, Q8_0) to ggml names, or throws. */
export function llamaCppKvType(t: string | undefined, which: "K" | "V"): LlamaCppKvType {
  const s = (t ?? "f16").toLowerCase().replace(/^fp(16|32)$/, "f$1");
  if (!isLlamaCppKvType(s)) {
    throw new VramfitError("does_not_run", `llama.cpp has no ${which} cache type '${t}'`, { suggestion: `use one of: ${LLAMA_CPP_KV_TYPES.join(", ")}` });
  }
  return s;
}

const isQuantized = (t: string) => !(t === "f32" || t === "f16" || t === "bf16");

/** Values per token per layer in K and V as llama.cpp stores them. */
export function llamaCppKvWidths(shape: TransformerShape): { k: number; v: number; headK: number; headV: number } {
  if (shape.mla) {
    const k = shape.mla.kvLoraRank + shape.mla.qkRopeHeadDim;
    return { k, v: 0, headK: k, headV: 0 };
  }
  return { k: shape.kvHeads * shape.headDim, v: shape.kvHeads * shape.headDim, headK: shape.headDim, headV: shape.headDim };
}

export function llamaCppKvCache(shape: TransformerShape, opts: LlamaCppKvOptions): LlamaCppKvCache {
  const typeK = llamaCppKvType(opts.typeK, "K");
  const typeV = llamaCppKvType(opts.typeV, "V");
  const flashAttn = opts.flashAttn ?? false;
  const params = llamaCppContextParams(opts);
  if (shape.encoderOnly) {
    return { kBytes: 0, vBytes: 0, totalBytes: 0, cells: 0, swaCells: null, nStream: params.nStream, params, perLayer: [] };
  }
  const w = llamaCppKvWidths(shape);
  if (isQuantized(typeV) && !flashAttn) {
    throw new VramfitError("does_not_run", `llama.cpp refuses a quantized V cache (${typeV}) without flash attention`, { suggestion: "add --flash-attn on, or keep --cache-type-v f16" });
  }
  if (shape.mla && typeK !== typeV) {
    // MLA keeps V inside the K latent: "model does not support different K (q8_0) and V (f16) cache types"
    throw new VramfitError("does_not_run", `llama.cpp refuses different K (${typeK}) and V (${typeV}) cache types for a multi-head latent attention model`, { suggestion: `use the same type for both, e.g. --cache-type-k ${typeK} --cache-type-v ${typeK}` });
  }
  // With flash attention a quantized type must tile each head (llama_init_from_model: "K cache type q8_0
  // with block size 32 does not divide n_embd_head_k=80"); without it only whole rows must fit (measured:
  // pythia-2.8b, head 80, q8_0 K without flash attention loads).
  for (const [which, type, head, row] of [["K", typeK, w.headK, w.k], ["V", typeV, w.headV, w.v]] as const) {
    const blck = ggmlBlock(type)![0];
    if ((flashAttn && head > 0 && head % blck !== 0) || row % blck !== 0) {
      throw new VramfitError("does_not_run", `llama.cpp refuses ${which} cache type ${type}: its block size ${blck} does not divide the head size ${head}` +
          (flashAttn ? " (needed with flash attention)" : ""), { suggestion: `use --cache-type-${which.toLowerCase()} f16` });
    }
  }

  const sliding = llamaCppSlidingLayers(shape, opts.architecture);
  const cells = params.nCtxSeq;
  let swaCells: number | null = null;
  if (sliding) {
    swaCells = opts.swaFull
      ? cells
      : padTo(Math.min(cells, sliding.window * (params.kvUnified ? params.nSeq : 1) + params.nUbatch), LLAMA_CPP_CTX_PAD);
  }
  const perLayer: LlamaCppKvLayer[] = [];
  let kBytes = 0;
  let vBytes = 0;
  const mixers = layerMixers(shape);
  for (let il = 0; il < shape.layers; il++) {
    if (!hasAttention(mixers[il])) continue;
    const isSwa = sliding ? sliding.layers[il] : false;
    const c = isSwa ? swaCells! : cells;
    const k = ggmlRowBytes(typeK, w.k) * c * params.nStream;
    const v = w.v > 0 ? ggmlRowBytes(typeV, w.v) * c * params.nStream : 0;
    perLayer.push({ layer: il, sliding: isSwa, cells: c, kBytes: k, vBytes: v });
    kBytes += k;
    vBytes += v;
  }
  return { kBytes, vBytes, totalBytes: kBytes + vBytes, cells, swaCells, nStream: params.nStream, params, perLayer };
}

/**
 * llama.cpp's recurrent-state (RS) buffer of a recurrent or hybrid model, split like the KV cache: each layer's
 * r/s rows live on that layer's device (llama_memory_recurrent with offload = offload_kqv). Bytes are
 * state-cache.ts llamaCppStateCache (F32, max(1, n_seq_max) rows, independent of n_ctx).
 */
export function llamaCppStateSplit(shape: TransformerShape, opts: { nSeq: number; onGpu: (layer: number) => boolean }): { gpuBytes: number; hostBytes: number; perLayerBytes: number; layers: number } {
  const rs = llamaCppStateCache(shape, { nSeq: opts.nSeq });
  let gpuBytes = 0;
  for (const il of rs.layers) if (opts.onGpu(il)) gpuBytes += rs.perLayerBytes;
  return { gpuBytes, hostBytes: rs.totalBytes - gpuBytes, perLayerBytes: rs.perLayerBytes, layers: rs.layers.length };
}
